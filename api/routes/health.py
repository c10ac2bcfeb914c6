"""Liveness and readiness: the service answers 200 only when it can read its ledger."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.core.deps import ServicesDep
from ledger.connect import committed_blocks

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health: 200 when the ledger can be read")
def healthz(services: ServicesDep) -> JSONResponse:
    """Read the ledger tip; 503 with the reason when it cannot be read."""
    try:
        height = sum(
            1
            for _ in committed_blocks(
                services.home, max(0, services.readmodel.next_block - 1), backend=services.settings.backend
            )
        )
        tip = services.readmodel.next_block - 1 + height
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "backend": services.settings.backend,
            "ledger_height": tip,
            "readmodel_next_block": services.readmodel.next_block,
        }
    )
