"""The caller org's own private data: prices, certification cost breakdowns, producer figures (never on the ledger).

Every route reads or writes only the private store of the caller's org (``home/private/<MSP>.db``); there is no
parameter that names another org, so one org's figures cannot be asked for by another. Prices feed the org's own
RVC calculations; breakdowns are the figures behind its certifications' commitments; producer figures (steel and
aluminum purchases, LVC) are what the vehicle tests of the org's own model lines need.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import ServicesDep, require_roles
from api.core.services import Services
from api.private.store import PrivateStore
from api.private.visibility import CertGraph
from api.routes.scans import PROBLEM_RESPONSES
from ledger.errors import NotFound, ValidationError

router = APIRouter(prefix="/v1/private", tags=["private data"], responses=PROBLEM_RESPONSES)

PriceKeeper = Annotated[Principal, Depends(require_roles("compliance", "admin", "certifier"))]
BreakdownReader = Annotated[Principal, Depends(require_roles("certifier", "admin", "compliance"))]
#: Producer figures feed the vehicle compliance reports (compliance) and are the org's to manage (admin).
FiguresKeeper = Annotated[Principal, Depends(require_roles("compliance", "admin"))]
DECIMAL = r"^\d{1,15}(\.\d{1,12})?$"
#: HS headings of motor vehicles (tractors, buses, cars, trucks, special purpose): the goods with vehicle tests.
VEHICLE_HEADINGS = ("8701", "8702", "8703", "8704", "8705")
PartTypeId = Annotated[str, Path(min_length=1, max_length=128, description="Part type id, e.g. SupplierMSP:CAST-1.")]


class PriceIn(BaseModel):
    """What the org pays for a part type (optionally from one supplier)."""

    model_config = ConfigDict(extra="forbid")

    part_type: str = Field(min_length=1, max_length=128)
    unit_price: str = Field(pattern=DECIMAL, description="Decimal string, e.g. '312.00'.")
    supplier_msp: str = Field("", max_length=64, description="Empty: the price from any supplier.")
    currency: str = Field("USD", pattern="^[A-Za-z]{3}$")
    note: str = Field("", max_length=512)


class OnePriceIn(BaseModel):
    """A price for the part type named in the path."""

    model_config = ConfigDict(extra="forbid")

    unit_price: str = Field(pattern=DECIMAL)
    supplier_msp: str = Field("", max_length=64)
    currency: str = Field("USD", pattern="^[A-Za-z]{3}$")
    note: str = Field("", max_length=512)


class Price(BaseModel):
    """A stored price."""

    part_type: str
    supplier_msp: str
    unit_price: str
    currency: str
    note: str


class PriceList(BaseModel):
    """The caller org's prices."""

    msp_id: str
    prices: list[Price]


class PricesIn(BaseModel):
    """The complete price list (replaces the stored one)."""

    model_config = ConfigDict(extra="forbid")

    prices: list[PriceIn] = Field(max_length=10000)


class Breakdown(BaseModel):
    """One certification's private figures and the commitment the ledger holds."""

    cert_id: str
    data: dict[str, Any]
    commitment: str
    created_at: float
    on_ledger: bool = Field(description="True when the ledger holds a certification with this commitment.")


class BreakdownList(BaseModel):
    """The caller org's cost breakdowns."""

    msp_id: str
    breakdowns: list[Breakdown]


class FigurePurchasesIn(BaseModel):
    """Steel or aluminum purchases of the producer over the period (USD), and the originating part of them."""

    model_config = ConfigDict(extra="forbid")

    purchases: str = Field(pattern=DECIMAL, description="Decimal string, e.g. '18400000'.")
    originating: str = Field(pattern=DECIMAL, description="Not above purchases.")


class FigureLvcIn(BaseModel):
    """Labor value content points (percent of the producer's net cost or purchase value, each 0-100)."""

    model_config = ConfigDict(extra="forbid")

    material_manufacturing: str = Field(pattern=DECIMAL)
    technology: str | None = Field(None, pattern=DECIMAL)
    assembly: str | None = Field(None, pattern=DECIMAL)


class ProducerFiguresIn(BaseModel):
    """A model line's figures (replacing the stored ones); at least one of the three."""

    model_config = ConfigDict(extra="forbid")

    steel: FigurePurchasesIn | None = None
    aluminum: FigurePurchasesIn | None = None
    lvc: FigureLvcIn | None = None
    note: str = Field("", max_length=512, description="Where the figures come from, e.g. their period.")


class FigurePurchases(BaseModel):
    """Stored purchases."""

    purchases: str
    originating: str


class FigureLvc(BaseModel):
    """Stored LVC points."""

    material_manufacturing: str
    technology: str | None = None
    assembly: str | None = None


class ProducerFigures(BaseModel):
    """One model line's stored figures, as the origin engine's request fields."""

    part_type: str
    steel: FigurePurchases | None = None
    aluminum: FigurePurchases | None = None
    lvc: FigureLvc | None = None
    note: str = ""


class ProducerFiguresList(BaseModel):
    """The caller org's producer figures, by model line."""

    msp_id: str
    figures: list[ProducerFigures]


def _known_part_types(services: Services, principal: Principal, wanted: set[str]) -> None:
    """Refuse prices for part types the ledger does not know (a typo would silently never match)."""
    if not wanted:
        return
    known = {p["id"] for p in services.client(principal).list_part_types()}
    for pt in sorted(wanted - known):
        raise ValidationError(f"part type {pt!r} is not registered on the ledger", field="part_type", value=pt)


def _known_supplier(services: Services, principal: Principal, supplier_msp: str) -> None:
    """A supplier-specific price must name a registered org."""
    if supplier_msp and supplier_msp not in {o["msp_id"] for o in services.client(principal).list_orgs()}:
        raise ValidationError(
            f"supplier {supplier_msp!r} is not a registered organization", field="supplier_msp", value=supplier_msp
        )


def _own_vehicle_type(services: Services, principal: Principal, part_type: str) -> None:
    """Producer figures belong to a vehicle model line the caller's org produces (anything else never applies)."""
    found = [p for p in services.client(principal).list_part_types() if p["id"] == part_type]
    if not found:
        raise ValidationError(
            f"part type {part_type!r} is not registered on the ledger", field="part_type", value=part_type
        )
    ptype = found[0]
    if ptype.get("producer_msp") != principal.msp_id:
        raise ValidationError(
            f"part type {part_type!r} is produced by {ptype.get('producer_msp')}, not {principal.msp_id}; "
            "producer figures are for the caller org's own model lines",
            field="part_type",
            value=part_type,
        )
    hs = str(ptype.get("hs_code") or "").replace(".", "")
    if not hs.startswith(VEHICLE_HEADINGS):
        raise ValidationError(
            f"part type {part_type!r} (HS {ptype.get('hs_code')}) is not a motor vehicle (headings 8701-8705); "
            "producer figures apply to vehicle model lines",
            field="part_type",
            value=part_type,
        )


def _figures(part_type: str, data: dict[str, Any], note: str) -> ProducerFigures:
    fields = {k: data[k] for k in ("steel", "aluminum", "lvc") if k in data}
    return ProducerFigures(part_type=part_type, note=note, **fields)


def _with_ledger_flag(services: Services, rows: list[dict[str, Any]]) -> list[Breakdown]:
    docs = CertGraph(services.readmodel).fetch(r["cert_id"] for r in rows)
    return [
        Breakdown(**r, on_ledger=r["cert_id"] in docs and docs[r["cert_id"]].get("cost_commitment") == r["commitment"])
        for r in rows
    ]


@router.get("/prices", summary="The caller org's purchase prices")
def get_prices(services: ServicesDep, principal: PriceKeeper) -> PriceList:
    """Compliance, admin and certifier members of the org."""
    return PriceList(msp_id=principal.msp_id, prices=PrivateStore(services.home, principal.msp_id).prices())


@router.put("/prices", summary="Replace the caller org's purchase prices")
def put_prices(services: ServicesDep, principal: PriceKeeper, body: PricesIn) -> PriceList:
    """All or nothing: every part type must be registered, amounts decimal strings, no (part type, supplier) twice."""
    _known_part_types(services, principal, {p.part_type for p in body.prices})
    for supplier in sorted({p.supplier_msp for p in body.prices if p.supplier_msp}):
        _known_supplier(services, principal, supplier)
    store = PrivateStore(services.home, principal.msp_id)
    return PriceList(msp_id=principal.msp_id, prices=store.replace_prices([p.model_dump() for p in body.prices]))


@router.put("/prices/{part_type}", summary="Set the caller org's price for one part type")
def put_price(services: ServicesDep, principal: PriceKeeper, part_type: PartTypeId, body: OnePriceIn) -> Price:
    """A supplier-specific price wins over the general one when the org computes RVC."""
    _known_part_types(services, principal, {part_type})
    _known_supplier(services, principal, body.supplier_msp)
    store = PrivateStore(services.home, principal.msp_id)
    return Price(**store.set_price(part_type, body.unit_price, **body.model_dump(exclude={"unit_price"})))


@router.delete("/prices/{part_type}", status_code=204, summary="Forget the caller org's price for one part type")
def delete_price(
    services: ServicesDep,
    principal: PriceKeeper,
    part_type: PartTypeId,
    supplier_msp: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """404 names the part type when no such price was stored."""
    PrivateStore(services.home, principal.msp_id).delete_price(part_type, supplier_msp)
    return Response(status_code=204)


@router.get("/breakdowns", summary="The caller org's certification cost breakdowns")
def list_breakdowns(services: ServicesDep, principal: BreakdownReader) -> BreakdownList:
    """Certifier, admin and compliance members of the org; ``on_ledger`` flags a breakdown whose submission failed."""
    rows = PrivateStore(services.home, principal.msp_id).breakdowns()
    return BreakdownList(msp_id=principal.msp_id, breakdowns=_with_ledger_flag(services, rows))


@router.get("/breakdowns/{cert_id}", summary="One of the caller org's cost breakdowns")
def get_breakdown(
    services: ServicesDep, principal: BreakdownReader, cert_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> Breakdown:
    """404 when the org holds none for this certification (whoever issued it)."""
    row = PrivateStore(services.home, principal.msp_id).breakdown(cert_id)
    return _with_ledger_flag(services, [row])[0]


@router.get(
    "/producer-figures",
    summary="The caller org's producer figures (steel, aluminum, LVC) by model line",
    response_model_exclude_none=True,
)
def list_producer_figures(services: ServicesDep, principal: FiguresKeeper) -> ProducerFiguresList:
    """Compliance and admin members of the org; the vehicle reports of these model lines use them."""
    rows = PrivateStore(services.home, principal.msp_id).producer_figure_records()
    figures = [_figures(pt, data, note) for pt, (data, note) in rows.items()]
    return ProducerFiguresList(msp_id=principal.msp_id, figures=figures)


@router.get(
    "/producer-figures/{part_type}",
    summary="The caller org's producer figures for one model line",
    response_model_exclude_none=True,
)
def get_producer_figures(services: ServicesDep, principal: FiguresKeeper, part_type: PartTypeId) -> ProducerFigures:
    """404 names the part type when the org holds no figures for it."""
    record = PrivateStore(services.home, principal.msp_id).producer_figure_records().get(part_type)
    if record is None:
        raise NotFound(
            f"{principal.msp_id} has no producer figures for part type {part_type!r}",
            field="part_type",
            value=part_type,
        )
    return _figures(part_type, *record)


@router.put(
    "/producer-figures/{part_type}",
    summary="Set the caller org's producer figures for one model line",
    response_model_exclude_none=True,
)
def put_producer_figures(
    services: ServicesDep, principal: FiguresKeeper, part_type: PartTypeId, body: ProducerFiguresIn
) -> ProducerFigures:
    """Replace the stored figures of a vehicle model line the caller's org produces.

    Originating not above purchases, LVC points at most 100; a 422 names the field and the value.
    """
    _own_vehicle_type(services, principal, part_type)
    stored = PrivateStore(services.home, principal.msp_id).set_producer_figures(
        part_type, **body.model_dump(exclude_none=True)
    )
    return _figures(part_type, stored, stored["note"])


@router.delete(
    "/producer-figures/{part_type}",
    status_code=204,
    summary="Forget the caller org's producer figures for a model line",
)
def delete_producer_figures(services: ServicesDep, principal: FiguresKeeper, part_type: PartTypeId) -> Response:
    """404 names the part type when no figures were stored."""
    PrivateStore(services.home, principal.msp_id).delete_producer_figures(part_type)
    return Response(status_code=204)
