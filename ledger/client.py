"""Typed calls to the provenance chaincode over any Gateway: the library the CLI, API, demo and stations share.

Each method is one transaction: it encodes its arguments as the chaincode expects (one JSON document, decimal
strings instead of floats) and decodes the JSON answer. Submit methods wait for the commit; the ``*_async``
variants return as soon as the transaction is ordered.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from ledger.canonical import canonical_json
from ledger.gateway import Gateway, SubmittedTransaction
from ledger.identity.signing import Signer

#: Fields of a certification that the certifier signs (the chaincode re-checks the signature over them).
CERT_SIGNED_FIELDS = (
    "cert_id", "part_type", "issuer_msp", "scope", "origin_criterion", "method", "rvc", "originating",
    "non_originating_share", "cost_commitment", "upstream", "customers",
)  # fmt: skip


def _js(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _load(raw: bytes) -> Any:
    return json.loads(raw) if raw else None


def sign_certification(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """Return ``body`` with the certifier's base64 DER signature over the canonical JSON of its signed fields."""
    signed = {k: body[k] for k in CERT_SIGNED_FIELDS if k in body}
    return {**signed, "signature": base64.b64encode(signer.sign(canonical_json(signed))).decode()}


class LedgerClient:
    """The provenance chaincode's transactions as methods."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    @property
    def msp_id(self) -> str:
        """The caller's org."""
        return self.gateway.msp_id

    def _submit(self, fn: str, *args: str) -> Any:
        return _load(self.gateway.submit(fn, *args))

    def _evaluate(self, fn: str, *args: str) -> Any:
        return _load(self.gateway.evaluate(fn, *args))

    # -- registry -------------------------------------------------------------------------------------------
    def register_org(self, org: dict[str, Any]) -> dict[str, Any]:
        """Register or update the caller's own organization (admin)."""
        return self._submit("RegisterOrg", _js(org))

    def register_site(self, site: dict[str, Any]) -> dict[str, Any]:
        """Register a site of the caller's org (admin)."""
        return self._submit("RegisterSite", _js(site))

    def register_station(self, station: dict[str, Any]) -> dict[str, Any]:
        """Bind a station id to a site and read point (admin)."""
        return self._submit("RegisterStation", _js(station))

    def register_part_type(self, part_type: dict[str, Any]) -> dict[str, Any]:
        """Register a part type the caller's org produces (admin)."""
        return self._submit("RegisterPartType", _js(part_type))

    def get_org(self, msp_id: str) -> dict[str, Any]:
        """One organization."""
        return self._evaluate("GetOrg", msp_id)

    def list_orgs(self) -> list[dict[str, Any]]:
        """Every organization."""
        return self._evaluate("ListOrgs")

    def get_site(self, msp_id: str, site_id: str) -> dict[str, Any]:
        """One site."""
        return self._evaluate("GetSite", msp_id, site_id)

    def list_sites(self, msp_id: str) -> list[dict[str, Any]]:
        """Sites of an org."""
        return self._evaluate("ListSites", msp_id)

    def get_part_type(self, part_type_id: str) -> dict[str, Any]:
        """One part type."""
        return self._evaluate("GetPartType", part_type_id)

    def list_part_types(self) -> list[dict[str, Any]]:
        """Every part type."""
        return self._evaluate("ListPartTypes")

    # -- parts and scans ------------------------------------------------------------------------------------
    def commission_part(self, part: dict[str, Any]) -> dict[str, Any]:
        """Commission one serialized part (producer org)."""
        return self._submit("CommissionPart", _js(part))

    def commission_parts(self, parts: Sequence[dict[str, Any]]) -> Any:
        """Commission up to 5,000 parts in one transaction."""
        return self._submit("CommissionParts", _js(list(parts)))

    def record_scan(self, scan: dict[str, Any]) -> dict[str, Any]:
        """Record one station read (station role); returns the stored scan with its anomaly flags."""
        return self._submit("RecordScan", _js(scan))

    def record_scan_async(self, scan: dict[str, Any]) -> SubmittedTransaction:
        """Record one read without waiting for the commit."""
        return self.gateway.submit_async("RecordScan", _js(scan))

    def record_scans(self, scans: Sequence[dict[str, Any]]) -> Any:
        """Record up to 5,000 reads in one transaction (idempotent per event hash)."""
        return self._submit("RecordScans", _js(list(scans)))

    def assemble(self, assembly: dict[str, Any]) -> dict[str, Any]:
        """A parent part consumes child parts (TransformationEvent)."""
        return self._submit("Assemble", _js(assembly))

    def decommission(self, uid: str, reason: str) -> dict[str, Any]:
        """Take a part out of service (custodian org)."""
        return self._submit("Decommission", uid, reason)

    def get_part(self, uid: str) -> dict[str, Any]:
        """A part with its full history."""
        return self._evaluate("GetPart", uid)

    # -- custody --------------------------------------------------------------------------------------------
    def ship(self, shipment: dict[str, Any]) -> dict[str, Any]:
        """Ship parts to another org (custodian)."""
        return self._submit("Ship", _js(shipment))

    def receive(self, receipt: dict[str, Any]) -> dict[str, Any]:
        """Receive an open shipment (destination org)."""
        return self._submit("Receive", _js(receipt))

    def get_shipment(self, from_msp: str, shipment_id: str) -> dict[str, Any]:
        """One shipment."""
        return self._evaluate("GetShipment", from_msp, shipment_id)

    # -- certifications -------------------------------------------------------------------------------------
    def submit_certification(self, body: dict[str, Any], signer: Signer) -> dict[str, Any]:
        """Sign a certification body with the certifier's key and submit it."""
        return self._submit("SubmitCertification", _js(sign_certification(body, signer)))

    def revoke_certification(self, cert_id: str, reason: str) -> dict[str, Any]:
        """Revoke a certification of the caller's org."""
        return self._submit("RevokeCertification", cert_id, reason)

    def get_certification(self, cert_id: str) -> dict[str, Any]:
        """A certification with its status computed now (valid, revoked, expired, upstream invalid)."""
        return self._evaluate("GetCertification", cert_id)

    def certifications_by_part_type(self, part_type: str) -> list[dict[str, Any]]:
        """Certifications of a part type."""
        return self._evaluate("ListCertificationsByPartType", part_type)

    def certifications_by_org(self, msp_id: str) -> list[dict[str, Any]]:
        """Certifications issued by an org."""
        return self._evaluate("ListCertificationsByOrg", msp_id)

    # -- certification requests (solicitation) ------------------------------------------------------------------
    def request_certification(self, request: dict[str, Any]) -> dict[str, Any]:
        """Ask a supplier to certify a part type it produces (compliance or admin of the requesting org)."""
        return self._submit("RequestCertification", _js(request))

    def answer_certification_request(self, request_id: str, cert_id: str) -> dict[str, Any]:
        """Answer a request with a certification of the caller's org (supplier's certifier)."""
        return self._submit("AnswerCertificationRequest", request_id, cert_id)

    def cancel_certification_request(self, request_id: str, reason: str) -> dict[str, Any]:
        """Withdraw a request the caller's org made (compliance or admin)."""
        return self._submit("CancelCertificationRequest", request_id, reason)

    def get_certification_request(self, request_id: str) -> dict[str, Any]:
        """One request with its status computed now (open, overdue, answered, expiring_soon, lapsed, cancelled)."""
        return self._evaluate("GetCertificationRequest", request_id)

    def certification_requests(self, msp_id: str, side: str) -> list[dict[str, Any]]:
        """Requests an org made (``side="requester"``) or received (``side="supplier"``), with status."""
        return self._evaluate("ListCertificationRequests", msp_id, side)

    # -- certificates of origin (Annex 5-A documents anchored by hash) -------------------------------------------
    def record_certificate_of_origin(self, record: dict[str, Any]) -> dict[str, Any]:
        """Anchor a signed certificate of origin: id, content hash, issuer, goods HS, period, signature."""
        return self._submit("RecordCertificateOfOrigin", _js(record))

    def revoke_certificate_of_origin(self, certificate_id: str, reason: str) -> dict[str, Any]:
        """Revoke a certificate of origin of the caller's org (certifier or admin)."""
        return self._submit("RevokeCertificateOfOrigin", certificate_id, reason)

    def get_certificate_of_origin(self, certificate_id: str) -> dict[str, Any]:
        """An anchored certificate of origin with its status computed now (valid, revoked, expired)."""
        return self._evaluate("GetCertificateOfOrigin", certificate_id)
