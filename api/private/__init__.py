"""Each org's private store: cost data that never goes on the ledger."""
