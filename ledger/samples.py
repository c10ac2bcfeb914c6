"""A small four-org network (OEM in Mexico, Tier-1 in the US, supplier in Canada, auditor) for tests and benchmarks.

Real deployments describe their network in a network.yaml (see network/examples/); this one is built in code
so tests and benchmarks can vary the endorsement policy.
"""

from __future__ import annotations

from typing import Any

OEM, TIER1, SUPPLIER, AUDITOR = "OemMSP", "Tier1MSP", "SupplierMSP", "AuditMSP"


def _org(
    msp: str,
    name: str,
    tier: str,
    country: str,
    city: str,
    prefix: str,
    duns: str,
    lat: float,
    lon: float,
    members: list[dict[str, Any]],
) -> dict[str, Any]:
    site = msp.lower().removesuffix("msp") + "-plant"
    return {
        "msp_id": msp,
        "name": name,
        "tier": tier,
        "country": country,
        "address": {"street": "1 Industrial Way", "city": city},
        "gs1_company_prefixes": [prefix] if prefix else [],
        "duns": duns,
        "sites": [
            {
                "id": site,
                "name": f"{name} plant",
                "address": {"street": "1 Industrial Way", "city": city},
                "country": country,
                "lat": lat,
                "lon": lon,
            }
        ],
        "members": members,
    }


def small_network_config(
    policy: str = "OutOf(2, 'OemMSP.peer', 'Tier1MSP.peer', 'SupplierMSP.peer')",
) -> dict[str, Any]:
    """Four orgs (OEM in Mexico, Tier-1 in the US, supplier in Canada, an auditor) with one member per role."""

    def members(prefix: str, site: str) -> list[dict[str, Any]]:
        return [
            {"name": "admin", "role": "admin"},
            {"name": "station1", "role": "station", "station": f"{prefix}-st1", "site": site},
            {"name": "certifier", "role": "certifier"},
            {"name": "compliance", "role": "compliance"},
        ]

    return {
        "name": "test-net",
        "endorsement_policy": policy,
        "orgs": [
            _org(
                OEM,
                "Automotriz Test SA de CV",
                "oem",
                "MX",
                "Silao",
                "7501234",
                "123456789",
                20.94,
                -101.43,
                members("oem", "oem-plant"),
            ),
            _org(
                TIER1,
                "Drivetrain Test Inc",
                "tier1",
                "US",
                "Toledo",
                "0614141",
                "234567891",
                41.65,
                -83.54,
                members("t1", "tier1-plant"),
            ),
            _org(
                SUPPLIER,
                "Castings Test Ltd",
                "tier2",
                "CA",
                "Windsor",
                "0628000",
                "345678912",
                42.31,
                -83.04,
                members("sup", "supplier-plant"),
            ),
            _org(
                AUDITOR,
                "Customs Verification Office",
                "auditor",
                "US",
                "Washington",
                "",
                "456789123",
                38.9,
                -77.03,
                [{"name": "admin", "role": "admin"}, {"name": "auditor", "role": "auditor"}],
            ),
        ],
    }
