"""Read model: query-friendly SQLite tables built from committed blocks."""
