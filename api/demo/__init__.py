"""The demo: a realistic multi-tier supply chain on the embedded ledger, and the command that serves it."""
