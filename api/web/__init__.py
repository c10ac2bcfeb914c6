"""Server-rendered pages for station operators, supplier staff, OEM compliance analysts and auditors.

Every page reads and writes through the same service functions as the JSON API (often the route functions
themselves), so a figure on a page is the API's figure. ``router`` is what ``api/app.py`` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import auditor, certificates, common, oem_pages, station, supplier

router = APIRouter(include_in_schema=False)
router.include_router(common.router)
router.include_router(station.pages)
router.include_router(station.scripts)
router.include_router(supplier.router)
router.include_router(oem_pages.router)
router.include_router(certificates.router)
router.include_router(auditor.router)

__all__ = ["router"]
