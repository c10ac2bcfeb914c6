"""Origin certifications: submit with a private cost breakdown, list, read, revoke, and lineage up and down.

A certifier posts the certification's fields plus its cost breakdown. The API checks that the figures support
the claim, commits to them with a fresh salt in the org's private store, puts only the commitment in the body,
signs the body with the certifier's own key and submits it; the breakdown stays bound to the cert id for a later
audit opening. Visibility: the issuer sees its own; an org sees certifications addressed to it and everything
upstream of those (its chain); auditors of an auditing org see all; anything else is a 404, so ids of other
chains do not leak. Statuses of lists and lineage are computed here with the chaincode's own
``chaincode.lineage`` over read-model rows; a single read asks the chaincode.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from api.core.services import Services
from api.private.breakdown import Claim, check_claim, normalize
from api.private.store import PrivateStore
from api.private.visibility import CertGraph, status_of
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.client import sign_certification
from ledger.errors import NotFound

router = APIRouter(prefix="/v1/certifications", tags=["certifications"], responses=PROBLEM_RESPONSES)

CertId = Annotated[str, Path(min_length=1, max_length=128, description="Certification id.")]
DECIMAL = r"^\d{1,15}(\.\d{1,12})?$"
Issuer = Annotated[Principal, Depends(require_roles("certifier"))]
Revoker = Annotated[Principal, Depends(require_roles("certifier", "admin"))]


class Scope(BaseModel):
    """What the certification covers: a blanket period (at most 12 months), lots, or serial numbers."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["blanket", "lots", "serials"]
    from_: str | None = Field(None, alias="from", max_length=10, description="Blanket start, YYYY-MM-DD.")
    to: str | None = Field(None, max_length=10, description="Blanket end, YYYY-MM-DD (before start + 12 months).")
    lots: list[str] | None = Field(None, max_length=1000)
    uids: list[str] | None = Field(None, max_length=1000, description="Commissioned parts of the part type.")


class CostBreakdown(BaseModel):
    """Private cost figures (decimal strings); only their salted commitment reaches the ledger."""

    model_config = ConfigDict(extra="forbid")

    total_cost: str = Field(pattern=DECIMAL)
    sales_promotion: str | None = Field(None, pattern=DECIMAL)
    royalties: str | None = Field(None, pattern=DECIMAL)
    shipping_packing: str | None = Field(None, pattern=DECIMAL)
    non_allowable_interest: str | None = Field(None, pattern=DECIMAL)
    vnm: str | None = Field(None, pattern=DECIMAL, description="Value of non-originating materials.")
    originating_materials: str | None = Field(None, pattern=DECIMAL)
    materials: str | None = Field(None, pattern=DECIMAL)
    labor: str | None = Field(None, pattern=DECIMAL)
    overhead: str | None = Field(None, pattern=DECIMAL)
    profit: str | None = Field(None, pattern=DECIMAL)
    transaction_value: str | None = Field(None, pattern=DECIMAL, description="Needed for a TV-method claim.")
    other_costs: str | None = Field(None, pattern=DECIMAL)
    currency: str | None = Field(None, pattern="^[A-Za-z]{3}$", description="ISO 4217 code.")


EXAMPLE_CERT = {
    "part_type": "SupplierMSP:CAST-1",
    "scope": {"kind": "blanket", "from": "2026-01-01", "to": "2026-12-31"},
    "origin_criterion": "B",
    "method": "NC",
    "rvc": "71.4",
    "originating": True,
    "non_originating_share": "28.6",
    "upstream": [],
    "customers": ["Tier1MSP"],
    "cost_breakdown": {"total_cost": "280.00", "vnm": "80.00", "originating_materials": "120.00"},
}


class CertificationIn(BaseModel):
    """A certification of one of the caller's org's part types, with its private cost breakdown."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_CERT]})

    cert_id: str | None = Field(
        None, min_length=1, max_length=128, pattern=r"^\S(.*\S)?$", description="Default: CO-<org>-<random>."
    )
    part_type: str = Field(min_length=1, max_length=128)
    scope: Scope
    origin_criterion: Literal["A", "B", "C", "D"]
    method: Literal["TV", "NC"] | None = Field(None, description="RVC method; rvc is required with it.")
    rvc: str | None = Field(None, pattern=DECIMAL, description="Regional value content, percent.")
    originating: bool
    non_originating_share: str = Field(pattern=DECIMAL, description="Percent of value customers roll up.")
    upstream: list[str] = Field(default_factory=list, max_length=200, description="Certification ids relied on.")
    customers: list[str] = Field(default_factory=list, max_length=1000, description="MSP ids addressed.")
    cost_breakdown: CostBreakdown


class CertStatus(BaseModel):
    """Status computed at the moment of reading (never stored)."""

    status: str = Field(description="valid, revoked, expired or upstream_invalid.")
    valid: bool
    reasons: list[str]
    expires_at: str
    evaluated_at: str


class Certification(BaseModel):
    """A certification exactly as signed and stored on the ledger, with its computed status."""

    model_config = ConfigDict(extra="allow")

    cert_id: str
    part_type: str
    issuer_msp: str
    scope: dict[str, Any]
    origin_criterion: str
    method: str | None = None
    rvc: str | None = None
    originating: bool
    non_originating_share: str
    cost_commitment: str = Field(description="Salted SHA-256 of the private cost breakdown.")
    upstream: list[str] = Field(default_factory=list)
    customers: list[str] = Field(default_factory=list)
    signature: str
    issued_at: str
    issued_by: str
    signer_cert: str
    tx_id: str
    revocation: dict[str, Any] | None = None
    status: CertStatus
    relied_on_by: list[str] | None = Field(
        None, description="Certifications that rely on this one directly (issuer and auditors only)."
    )


class PrivatePart(BaseModel):
    """The submitting org's own private view of what it committed to."""

    breakdown: dict[str, str]
    commitment: str
    computed: dict[str, str] = Field(description="Net cost, RVC and non-originating share the figures give.")


class Submitted(BaseModel):
    """A submitted certification and the private figures behind it (shown only to the submitting org)."""

    certification: Certification
    private: PrivatePart


class CertificationList(BaseModel):
    """Visible certifications, by id."""

    certifications: list[Certification]
    total: int


class Revocation(BaseModel):
    """Why a certification is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)


class LineageNode(BaseModel):
    """One certification in a lineage tree (summary only: no figures of other orgs)."""

    cert_id: str
    issuer_msp: str | None
    part_type: str | None
    status: str
    valid: bool
    reasons: list[str]
    expires_at: str
    links: list[LineageNode] = Field(default_factory=list, description="upstream or downstream, by direction.")


class Lineage(BaseModel):
    """What a certification relies on (upstream) and what relies on it (downstream)."""

    cert_id: str
    status: CertStatus
    upstream: list[LineageNode]
    downstream: list[LineageNode]


def new_cert_id(msp_id: str) -> str:
    """A fresh certification id naming the org (``CO-SUPPLIER-3F9A0C12``)."""
    return f"CO-{msp_id.removesuffix('MSP').upper()}-{secrets.token_hex(4).upper()}"


def sees_all(services: Services, principal: Principal) -> bool:
    """Auditors of an auditing org (customs, verification body) read every certification.

    An ``auditor`` member of a supplier or OEM (internal audit) sees what its own org sees: it must not browse
    competitors' chains.
    """
    return principal.role == "auditor" and services.network.org(principal.msp_id).tier.value == "auditor"


def must_see(services: Services, principal: Principal, doc: dict[str, Any]) -> None:
    """404 (not 403, so ids of other chains do not leak) when the caller may not see a certification."""
    mine = doc["issuer_msp"] == principal.msp_id or principal.msp_id in doc.get("customers", [])
    if mine or sees_all(services, principal):
        return
    if doc["cert_id"] not in CertGraph(services.readmodel).visible_ids(principal.msp_id):
        raise NotFound(f"certification {doc['cert_id']} does not exist", field="cert_id", value=doc["cert_id"])


def read_certification(services: Services, principal: Principal, cert_id: str) -> dict[str, Any]:
    """A certification with its chaincode-computed status, if the caller may see it."""
    doc = services.client(principal).get_certification(cert_id)
    must_see(services, principal, doc)
    return doc


@router.post("", status_code=201, summary="Submit a certification with its private cost breakdown (certifier)")
def submit_certification(
    services: ServicesDep, principal: Issuer, body: CertificationIn, response: Response
) -> Submitted:
    """The breakdown must support the claim (422 naming the figure); the ledger gets only its commitment."""
    data = normalize(body.cost_breakdown.model_dump(exclude_none=True))
    computed = check_claim(data, Claim(body.method, body.rvc, body.non_originating_share))
    cert_id = body.cert_id or new_cert_id(principal.msp_id)
    store = PrivateStore(services.home, principal.msp_id)
    opening = store.commit_breakdown(data)
    cert: dict[str, Any] = {
        "cert_id": cert_id,
        "part_type": body.part_type,
        "issuer_msp": principal.msp_id,
        "scope": body.scope.model_dump(by_alias=True, exclude_none=True),
        "origin_criterion": body.origin_criterion,
        "originating": body.originating,
        "non_originating_share": body.non_originating_share,
        "cost_commitment": opening.commitment(),
        "upstream": body.upstream,
        "customers": body.customers,
    }
    if body.method is not None:
        cert["method"] = body.method
    if body.rvc is not None:
        cert["rvc"] = body.rvc
    signer = services.network.member(principal.msp_id, principal.member).signer
    signed = json.dumps(sign_certification(cert, signer), sort_keys=True, separators=(",", ":"))
    store.reserve_breakdown(cert_id, opening)
    try:
        stored = submit(services, principal, "SubmitCertification", signed, wait=True)
    except BaseException:
        store.release_breakdown(cert_id)
        raise
    response.headers["Location"] = f"/v1/certifications/{cert_id}"
    return Submitted(
        certification=Certification.model_validate(stored),
        private=PrivatePart(breakdown=data, commitment=opening.commitment(), computed=computed),
    )


@router.get("", summary="Certifications the caller may see, with status")
def list_certifications(
    services: ServicesDep,
    principal: PrincipalDep,
    part_type: Annotated[str | None, Query(max_length=128)] = None,
    issuer: Annotated[str | None, Query(max_length=64, description="Issuing org MSP id.")] = None,
    customer: Annotated[str | None, Query(max_length=64, description="Addressed org MSP id.")] = None,
    status: Annotated[Literal["valid", "revoked", "expired", "upstream_invalid"] | None, Query()] = None,
    expiring_within: Annotated[
        int | None, Query(ge=0, le=3650, description="Only valid ones whose validity ends within this many days.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CertificationList:
    """Issued by the caller's org, addressed to it, upstream of those; auditors see every certification."""
    graph = CertGraph(services.readmodel)
    ids = None if sees_all(services, principal) else graph.visible_ids(principal.msp_id)
    docs = graph.docs(ids, part_type=part_type, issuer=issuer, customer=customer)
    now = dt.datetime.now(dt.UTC)
    closure = graph.closure([d["cert_id"] for d in docs], known={d["cert_id"]: d for d in docs})
    horizon = (now + dt.timedelta(days=expiring_within)).date().isoformat() if expiring_within is not None else None
    out = []
    for d in docs:
        st = status_of(d["cert_id"], closure, now)
        if status is not None and st["status"] != status:
            continue
        if horizon is not None and not (st["valid"] and st["expires_at"] <= horizon):
            continue
        out.append({**d, "status": st})
    page = out[offset : offset + limit]
    own = [d["cert_id"] for d in page if sees_all(services, principal) or d["issuer_msp"] == principal.msp_id]
    dependants = graph.dependants(own)
    for d in page:
        if d["cert_id"] in own:
            d["relied_on_by"] = dependants.get(d["cert_id"], [])
    return CertificationList(certifications=[Certification.model_validate(d) for d in page], total=len(out))


@router.get("/{cert_id}", summary="One certification with its status and reasons")
def get_certification(services: ServicesDep, principal: PrincipalDep, cert_id: CertId) -> Certification:
    """404 when it does not exist or is outside the caller's chain."""
    doc = read_certification(services, principal, cert_id)
    if sees_all(services, principal) or doc["issuer_msp"] == principal.msp_id:
        doc["relied_on_by"] = CertGraph(services.readmodel).dependants([cert_id]).get(cert_id, [])
    return Certification.model_validate(doc)


@router.post("/{cert_id}/revoke", summary="Revoke a certification of the caller's org (certifier or admin)")
def revoke_certification(services: ServicesDep, principal: Revoker, cert_id: CertId, body: Revocation) -> Certification:
    """Everything that relies on it, at any depth, reads as upstream_invalid from now on."""
    read_certification(services, principal, cert_id)
    doc = submit(services, principal, "RevokeCertification", cert_id, body.reason, wait=True)
    return Certification.model_validate(doc)


@router.get("/{cert_id}/lineage", summary="Upstream tree and downstream dependants, each with its status")
def lineage(services: ServicesDep, principal: PrincipalDep, cert_id: CertId) -> Lineage:
    """Downstream lists certifications visible to the caller; the issuer and auditors see every dependant."""
    doc = read_certification(services, principal, cert_id)
    graph = CertGraph(services.readmodel)
    everything = sees_all(services, principal) or doc["issuer_msp"] == principal.msp_id
    visible = None if everything else graph.visible_ids(principal.msp_id)
    now = dt.datetime.now(dt.UTC)
    up, down = graph.lineage(cert_id, visible, now, root=doc)
    return Lineage(
        cert_id=cert_id,
        status=CertStatus.model_validate(doc["status"]),
        upstream=[LineageNode.model_validate(n) for n in up],
        downstream=[LineageNode.model_validate(n) for n in down],
    )
