"""The embedded backend: Fabric's execute-order-validate flow on one SQLite file per ledger home."""
