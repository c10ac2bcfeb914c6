"""Certificates of origin through the real server: create, read, PDF + QR, verify (JSON, PDF, QR), tamper, revoke."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import zxingcpp

from api.origin import qualify
from tests.api.certs_fixtures import problem
from tests.api.conftest import ApiServer
from tests.api.origin_fixtures import (  # noqa: F401 - fixtures
    CERTIFIER,
    OEM,
    SEAT_REQUEST,
    TIER1,
    chain_server_fixture,
    chain_template_fixture,
    ok,
    pdf_page_png,
)

PARTIES = {"certifier": CERTIFIER, "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}}


def create(api: ApiServer, **change: Any) -> dict[str, Any]:
    body = {"qualification": qualify(SEAT_REQUEST).model_dump(mode="json"), "parties": PARTIES} | change
    return ok(api.client(OEM, "certifier").post("/v1/certificates", json=body), 201)


def verify(api: ApiServer, cert: dict[str, Any]) -> dict[str, Any]:
    return ok(httpx.post(api.base_url + "/v1/certificates/verify", json=cert))


def test_create_read_pdf_and_qr_to_the_public_page(chain_server: ApiServer, tmp_path: Any) -> None:
    created = create(chain_server)
    cert = created["certificate"]
    cid = cert["certificate_id"]
    assert cid.startswith("COO-OEM-") and cert["issuer_msp"] == OEM
    assert cert["goods"][0]["origin_criterion"] == "B" and cert["goods"][0]["hs"] == "9401.20"
    assert created["ledger"]["status"]["status"] == "valid"
    assert created["verify_url"] == f"{chain_server.base_url}/verify/{cid}?h={created['ledger']['content_hash']}"
    read = ok(chain_server.client(OEM, "compliance").get(f"/v1/certificates/{cid}"))
    assert read["certificate"] == cert and read["ledger"]["content_hash"] == created["ledger"]["content_hash"]
    pdf = chain_server.client(OEM, "compliance").get(f"/v1/certificates/{cid}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    image = pdf_page_png(pdf.content, tmp_path / "cert")
    qr = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert qr == [created["verify_url"]]
    public = ok(httpx.get(qr[0]))
    assert public["valid"] is True and public["ledger"]["goods_hs"] == ["940120"]
    assert "certifier" in public["ledger"] and "phone" not in str(public["ledger"])
    page = httpx.get(qr[0], headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "VALID" in page.text


def test_verify_json_pdf_upload_and_qr_content(chain_server: ApiServer) -> None:
    created = create(chain_server)
    cid = created["certificate"]["certificate_id"]
    assert verify(chain_server, created["certificate"])["valid"] is True
    pdf = chain_server.client(OEM, "compliance").get(f"/v1/certificates/{cid}.pdf").content
    upload = httpx.post(chain_server.base_url + "/v1/certificates/verify", files={"file": ("c.pdf", pdf)})
    assert ok(upload)["checks"] == {"fields": True, "ledger_record": True, "content_hash": True, "signature": True,
                                    "not_revoked": True, "not_expired": True}  # fmt: skip
    assert verify(chain_server, {"qr": created["verify_url"]})["valid"] is True


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("goods", 0, "hs"), "8708.50", "goods[0].hs '870850' differs from the ledger record's '940120'"),
        (("signed_date",), "2026-01-02", "signed_date '2026-01-02' differs from the ledger record's"),
        (("certifier", "name"), "Someone Else SA", "a field the ledger does not hold (parties, descriptions"),
    ],
)
def test_tampered_json_fails_naming_what(chain_server: ApiServer, path: tuple, value: str, named: str) -> None:
    cert = copy.deepcopy(create(chain_server)["certificate"])
    target = cert
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    verdict = verify(chain_server, cert)
    assert verdict["valid"] is False
    assert verdict["checks"]["content_hash"] is False and verdict["checks"]["signature"] is False
    assert named in verdict["reasons"][0]
    assert verdict["reasons"][0].startswith(f"content hash {verdict['content_hash']} differs from the ledger's ")


def test_revoked_certificate_fails_verify(chain_server: ApiServer) -> None:
    created = create(chain_server)
    cid = created["certificate"]["certificate_id"]
    other = chain_server.client(TIER1, "certifier").post(f"/v1/certificates/{cid}/revoke", json={"reason": "x"})
    assert (
        problem(other, 403)["detail"] == f"{TIER1} may not revoke certificate of origin {cid}: it was issued by {OEM}"
    )
    station = chain_server.client(OEM, "station1").post(f"/v1/certificates/{cid}/revoke", json={"reason": "x"})
    problem(station, 403)
    listed = ok(chain_server.client(OEM, "compliance").get("/v1/certificates"))
    assert [(c["certificate_id"], c["status"]["status"]) for c in listed] == [(cid, "valid")]
    revoked = ok(chain_server.client(OEM, "certifier").post(f"/v1/certificates/{cid}/revoke",
                                                            json={"reason": "HS code misclassified"}))  # fmt: skip
    assert revoked["status"]["status"] == "revoked"
    listed = ok(chain_server.client(OEM, "admin").get("/v1/certificates"))
    assert [(c["certificate_id"], c["status"]["status"]) for c in listed] == [(cid, "revoked")]
    verdict = verify(chain_server, created["certificate"])
    assert verdict["valid"] is False and verdict["checks"]["not_revoked"] is False
    assert verdict["reasons"][-1].endswith(": HS code misclassified")
    assert verify(chain_server, {"qr": created["verify_url"]})["valid"] is False


def test_wrong_hash_unknown_id_and_unreadable_bodies(chain_server: ApiServer) -> None:
    created = create(chain_server)
    cid = created["certificate"]["certificate_id"]
    bad = ok(httpx.get(f"{chain_server.base_url}/verify/{cid}", params={"h": "0" * 64}))
    assert bad["valid"] is False and bad["reasons"][0].startswith(f"content hash {'0' * 64} differs from the ledger's")
    missing = httpx.get(f"{chain_server.base_url}/verify/COO-NOPE", params={"h": "0" * 64})
    assert problem(missing, 404)["detail"] == "certificate of origin COO-NOPE does not exist"
    url = chain_server.base_url + "/v1/certificates/verify"
    assert problem(httpx.post(url, content=b"garbage"), 422)["detail"].startswith(
        "request body is neither a certificate JSON nor a certificate PDF"
    )
    assert problem(httpx.post(url, json={"qr": "https://example.com/x"}), 422)["detail"] == (
        "QR content 'https://example.com/x' is not a verification URL .../verify/<id>?h=<hash>"
    )
    unsigned = {k: v for k, v in created["certificate"].items() if k != "signature"}
    verdict = verify(chain_server, unsigned)
    assert "the certificate carries no signature block (signature.value)" in verdict["reasons"]


def test_who_may_create_and_read(chain_server: ApiServer) -> None:
    body = {"qualification": qualify(SEAT_REQUEST).model_dump(mode="json"), "parties": PARTIES}
    problem(chain_server.client(OEM, "compliance").post("/v1/certificates", json=body), 403)
    problem(httpx.post(chain_server.base_url + "/v1/certificates", json=body), 401)
    cid = create(chain_server)["certificate"]["certificate_id"]
    other = chain_server.client(TIER1, "compliance").get(f"/v1/certificates/{cid}")
    assert problem(other, 404)["detail"] == f"certificate of origin {cid} was not issued by {TIER1}"


def test_a_failing_qualification_cannot_be_certified(chain_server: ApiServer) -> None:
    failing = qualify({**SEAT_REQUEST, "materials": [{"id": "foam", "value": "60", "origin": "non_originating"}]})
    body = {"qualification": failing.model_dump(mode="json"), "parties": PARTIES}
    resp = chain_server.client(OEM, "certifier").post("/v1/certificates", json=body)
    assert problem(resp, 422)["detail"] == (
        f"the qualification {failing.input_sha256[:12]} does not qualify; no certificate can be built "
        "(failed: rvc 40 < 70)"
    )
    both = chain_server.client(OEM, "certifier").post("/v1/certificates", json={**body, "uid": "urn:x:1"})
    assert problem(both, 422)["detail"] == "give exactly one of uid and qualification"
