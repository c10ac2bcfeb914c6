from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger.errors import ParseError, ValidationError
from ledger.identity.attrs import Role
from ledger.identity.config import Address, load_config, parse_config


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets ``a.b[0].c`` in the network description."""

    def apply(data: dict[str, Any]) -> None:
        node: Any = data
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if value is _DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DELETE = object()


@pytest.mark.parametrize(
    ("mutation", "field", "message"),
    [
        (_set("orgs[0].duns", "12345"), "orgs[0].duns", "DUNS number '12345' must be 9 digits"),
        (
            _set("orgs[1].duns", 123456789),
            "orgs[1].duns",
            "123456789 is a number; quote digit strings in YAML (e.g. '0614141') so leading zeros are kept",
        ),
        (
            _set("orgs[1].gs1_company_prefixes[0]", "06141A1"),
            "orgs[1].gs1_company_prefixes[0]",
            "GS1 company prefix '06141A1' must be 6 to 12 digits",
        ),
        (
            _set("orgs[0].sites[0].gln", "7501234000018"),
            "orgs[0].sites[0].gln",
            "GLN 7501234000018 has check digit 8, expected 7",
        ),
        (_set("orgs[0].country", "XX"), "orgs[0].country", "country 'XX' is not an ISO 3166-1 alpha-2 code"),
        (
            _set("orgs[0].tier", "tier4"),
            "orgs[0].tier",
            "Input should be 'oem', 'tier1', 'tier2', 'tier3' or 'auditor' (got 'tier4')",
        ),
        (
            _set("orgs[0].sites[0].lat", 91.0),
            "orgs[0].sites[0].lat",
            "Input should be less than or equal to 90 (got 91.0)",
        ),
        (
            _set("orgs[0].msp_id", "1Oem"),
            "orgs[0].msp_id",
            "'1Oem' is not a valid MSP id (a letter, then letters, digits, '.' or '-')",
        ),
        (_set("orgs[0].colour", "red"), "orgs[0].colour", "Extra inputs are not permitted (got 'red')"),
        (_set("orgs[2].duns", _DELETE), "orgs[2].duns", "Field required"),
        (
            _set("orgs[0].members[1].station", _DELETE),
            "orgs[0].members[1]",
            "member 'line1' has role station but no station id",
        ),
        (
            _set("orgs[0].members[2].station", "SIL-L2"),
            "orgs[0].members[2]",
            "member 'trade' has station 'SIL-L2' but role compliance",
        ),
        (
            _set("orgs[0].members[2].role", "peer"),
            "orgs[0].members[2]",
            "member 'trade': role 'peer' is reserved for the org's peer identity",
        ),
        (
            _set("orgs[1].msp_id", "OemMSP"),
            "orgs[1].msp_id",
            "MSP id 'OemMSP' is used twice: orgs[0].msp_id and orgs[1].msp_id",
        ),
        (
            _set("orgs[0].members[2].name", "line1"),
            "orgs[0].members[2].name",
            "member name in OemMSP 'line1' is used twice: orgs[0].members[1].name and orgs[0].members[2].name",
        ),
        (
            _set("orgs[1].gs1_company_prefixes[0]", "75012345"),
            "orgs[1].gs1_company_prefixes[0]",
            "GS1 company prefix 75012345 overlaps 7501234 (orgs[0].gs1_company_prefixes[0]); a prefix belongs to one org",
        ),
        (
            _set("orgs[0].gs1_company_prefixes[0]", "7509999"),
            "orgs[0].sites[0].gln",
            "GLN 7501234000017 of site SIL-ASSY does not start with a GS1 company prefix of OemMSP (7509999)",
        ),
        (
            _set("orgs[0].members[1].site", "NOWHERE"),
            "orgs[0].members[1].site",
            "member line1 names site 'NOWHERE', which is not a site of OemMSP",
        ),
        (
            _set("orgs[1].peer", {"port": 7051}),
            "orgs[1].peer.port",
            "address '127.0.0.1:7051' is used twice: orgs[0].peer.port and orgs[1].peer.port",
        ),
        (
            _set("endorsement_policy", "AND('OemMSP.peer', 'FordMSP.peer')"),
            "endorsement_policy",
            "endorsement policy \"AND('OemMSP.peer', 'FordMSP.peer')\": principal 'FordMSP.peer' names unknown MSP "
            "'FordMSP' (known: AuditMSP, OemMSP, SeatsMSP) at position 19",
        ),
        (_set("orgs", []), "orgs", "List should have at least 1 item after validation, not 0"),
    ],
)
def test_config_errors_name_field_and_value(data: dict[str, Any], mutation, field: str, message: str) -> None:
    mutation(data)
    with pytest.raises(ValidationError) as err:
        parse_config(data, source="net.yaml")
    assert err.value.field == field
    assert err.value.message == f"net.yaml: {field}: {message}"


def test_defaults_are_filled_in(data: dict[str, Any]) -> None:
    cfg = parse_config(data)
    assert cfg.channel == "usmca"
    assert [o.peer.port for o in cfg.orgs] == [7051, 9051, 11051]
    assert [o.peer.chaincode_port for o in cfg.orgs] == [7052, 9052, 11052]
    assert [o.peer.ops_port for o in cfg.orgs] == [9444, 9445, 9446]
    assert [o.domain for o in cfg.orgs] == ["oem.usmca.example", "seats.usmca.example", "audit.usmca.example"]
    # OemMSP names its own admin; the others get one called "admin".
    assert [m.name for m in cfg.orgs[0].members if m.role is Role.ADMIN] == ["plant-admin"]
    assert cfg.orgs[1].members[0].name == "admin"
    assert cfg.orgs[1].members[0].role is Role.ADMIN
    assert cfg.orgs[0].country == "MX"
    assert not cfg.orgs[0].member("nobody")


def test_country_is_upper_cased_and_usmca_flagged(data: dict[str, Any]) -> None:
    data["orgs"][1]["country"] = "de"
    cfg = parse_config(data)
    assert cfg.orgs[1].country == "DE"
    assert not cfg.orgs[1].in_usmca
    assert cfg.orgs[0].in_usmca


def test_normalized_yaml_round_trips(tmp_path: Path, data: dict[str, Any]) -> None:
    cfg = parse_config(data)
    path = tmp_path / "n.yaml"
    path.write_text(cfg.to_yaml(), encoding="utf-8")
    assert load_config(path) == cfg


def test_orderer_nodes_get_ports(data: dict[str, Any]) -> None:
    data["orderer"] = {"msp_id": "OrdererMSP", "name": "Orderer", "nodes": [{"name": "o1"}, {"name": "o2"}]}
    cfg = parse_config(data)
    assert cfg.orderer is not None
    assert [(n.port, n.admin_port, n.ops_port) for n in cfg.orderer.nodes] == [
        (7050, 7053, 8443),
        (7060, 7063, 8444),
    ]
    data["orderer"]["msp_id"] = "OemMSP"
    with pytest.raises(ValidationError, match=r"MSP id 'OemMSP' is used twice: orderer.msp_id and orgs"):
        parse_config(data)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("- just\n- a list\n", ParseError, "must hold a mapping, not list"),
        ("name: [unclosed\n", ParseError, "is not valid YAML"),
    ],
)
def test_load_config_unreadable(tmp_path: Path, text: str, error: type[Exception], message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=message):
        load_config(path)


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=f"^network configuration {tmp_path / 'x.yaml'} does not exist$"):
        load_config(tmp_path / "x.yaml")


def test_yaml_booleans_do_not_eat_country_and_province_codes(tmp_path: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    # YAML 1.1 would read NO (Norway) and ON (Ontario) as booleans.
    text = text.replace("country: US\n", "country: NO\n", 1).replace("region: MI", "region: ON")
    path = tmp_path / "n.yaml"
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.orgs[1].country == "NO"
    assert cfg.orgs[1].address.region == "ON"


@pytest.mark.parametrize("example", sorted((Path(__file__).parents[3] / "network" / "examples").glob("*.yaml")))
def test_examples_are_valid(example: Path) -> None:
    cfg = load_config(example)
    tiers = {o.tier.value for o in cfg.orgs}
    assert {"oem", "tier1", "auditor"} <= tiers
    for org in cfg.orgs:
        assert any(m.role is Role.ADMIN for m in org.members)


def test_demo_network_covers_the_region_and_beyond() -> None:
    cfg = load_config(Path(__file__).parents[3] / "network" / "examples" / "demo-network.yaml")
    assert {o.country for o in cfg.orgs} >= {"US", "MX", "CA", "DE", "CN"}
    assert {o.tier.value for o in cfg.orgs} == {"oem", "tier1", "tier2", "tier3", "auditor"}
    roles = {m.role for o in cfg.orgs for m in o.members}
    assert roles == {Role.ADMIN, Role.STATION, Role.CERTIFIER, Role.COMPLIANCE, Role.AUDITOR}
    assert cfg.orderer is not None


@pytest.mark.parametrize(
    ("address", "line"),
    [
        ({"street": "3900 Stickney Ave", "city": "Toledo"}, "3900 Stickney Ave, Toledo"),
        (
            {"street": "1330 Burlington St E", "city": "Hamilton", "region": "ON", "postal_code": "L8N 3J5"},
            "1330 Burlington St E, Hamilton, ON L8N 3J5",
        ),
        ({"street": "Av. Japón 101", "city": "Silao", "postal_code": "36275"}, "Av. Japón 101, Silao, 36275"),
    ],
)
def test_address_one_line(address: dict[str, str], line: str) -> None:
    assert Address.model_validate(address).one_line() == line
