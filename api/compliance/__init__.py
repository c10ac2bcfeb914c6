"""Origin from the ledger: qualify requests built from as-built trees, certificates of origin, OEM reports."""

from __future__ import annotations
