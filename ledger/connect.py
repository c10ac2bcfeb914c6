"""Choosing a backend: every caller (CLI, API, station agent) gets a Gateway from here and nothing else.

The embedded backend is the default. The backend is a setting, so the Fabric Gateway backend plugs in without
touching callers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ledger.errors import ValidationError
from ledger.gateway import Block, Gateway

BACKENDS = ("embedded", "fabric")


def connect(home: str | os.PathLike[str], msp_id: str, member: str, *, backend: str = "embedded") -> Gateway:
    """A gateway that signs as ``member`` of ``msp_id`` on the ledger of ``home``."""
    if backend == "embedded":
        from ledger.embedded.ledger import EmbeddedLedger

        return EmbeddedLedger.open(Path(home)).gateway(msp_id, member)
    if backend == "fabric":
        from ledger.fabric.connect import connect_fabric

        return connect_fabric(home, msp_id, member)
    raise ValidationError(f"unknown ledger backend {backend!r}; choose one of {', '.join(BACKENDS)}", value=backend)


def committed_blocks(
    home: str | os.PathLike[str], start: int = 0, *, follow: bool = False, backend: str = "embedded"
) -> Iterator[Block]:
    """Committed blocks of the home's ledger from ``start``.

    The embedded ledger is read from its local files, with no identity. On Fabric, blocks come from the deliver
    service of a peer, which only serves channel members: the reader is the first member whose private key this
    home holds (see :func:`ledger.fabric.connect.reader_identity`).
    """
    if backend == "fabric":
        from ledger.fabric.connect import open_block_reader

        return open_block_reader(home, start, follow=follow)
    if backend != "embedded":
        raise ValidationError(f"unknown ledger backend {backend!r}; choose one of {', '.join(BACKENDS)}", value=backend)
    from ledger.embedded.ledger import EmbeddedLedger

    return EmbeddedLedger.open(Path(home)).blocks(start, follow=follow)
