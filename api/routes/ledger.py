"""The ledger itself: blocks (for anyone with a credential) and a full verification (auditors and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from ledger.connect import committed_blocks
from ledger.embedded.ledger import LEDGER_FILE
from ledger.embedded.verify import verify_ledger
from ledger.errors import NotFound

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


def _block_json(block: Any) -> dict[str, Any]:
    return {
        "number": block.number,
        "hash": block.hash,
        "previous_hash": block.previous_hash,
        "transactions": [
            {
                "tx_id": t.tx_id,
                "code": t.code,
                "function": t.function,
                "creator_msp": t.creator_msp,
                "timestamp": t.timestamp,
                "writes": [w.key.replace("\x00", "~").strip("~") for w in t.writes],
                "event": t.event.name if t.event else None,
            }
            for t in block.transactions
        ],
    }


@router.get("/blocks", summary="Committed blocks from a block number")
def list_blocks(
    services: ServicesDep,
    _: PrincipalDep,
    start: Annotated[int, Query(ge=0, alias="from")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Blocks with their transactions' ids, codes, functions and written keys."""
    out = []
    for block in committed_blocks(services.home, start, backend=services.settings.backend):
        out.append(_block_json(block))
        if len(out) >= limit:
            break
    return {"blocks": out, "next": start + len(out)}


@router.get("/blocks/{number}", summary="One committed block")
def get_block(services: ServicesDep, _: PrincipalDep, number: int) -> dict[str, Any]:
    """One block by number."""
    for block in committed_blocks(services.home, number, backend=services.settings.backend):
        return _block_json(block)
    raise NotFound(f"block {number} does not exist", value=number)


@router.post("/verify", summary="Verify the whole ledger (hash chain, signatures, policy, state replay)")
def verify(
    services: ServicesDep, _: Annotated[Principal, Depends(require_roles("auditor", "admin"))]
) -> dict[str, Any]:
    """Run ``usmca ledger verify`` on the service's ledger and return its report."""
    return verify_ledger(services.home / LEDGER_FILE).as_dict()
