from __future__ import annotations

import pytest
from fabric_protos.msp import msp_principal_pb2
from fabric_protos.peer import policy_pb2

from ledger.errors import ValidationError
from ledger.identity.policy import parse_policy
from ledger.identity.policy_proto import application_policy_bytes, signature_policy_envelope

ORGS = ("OemMSP", "SeatsMSP", "TransMSP", "AuditMSP")
OEM, S, T, A = ORGS


@pytest.mark.parametrize(
    ("text", "endorsers", "expected"),
    [
        ("MAJORITY", {OEM, S, T}, True),
        ("MAJORITY", {OEM, S}, False),  # 2 of 4 is not a majority
        ("majority Endorsement", {OEM, S, T}, True),
        ("ANY", {A}, True),
        ("ANY", set(), False),
        ("ALL", set(ORGS), True),
        ("ALL", {OEM, S, T}, False),
        ("'OemMSP.peer'", {OEM}, True),
        ("'OemMSP.member'", {S}, False),
        ("AND('OemMSP.peer', 'SeatsMSP.peer')", {OEM, S}, True),
        ("AND('OemMSP.peer', 'SeatsMSP.peer')", {OEM, T}, False),
        ("OR('OemMSP.peer', 'SeatsMSP.peer')", {S}, True),
        ("OR('OemMSP.peer', 'SeatsMSP.peer')", {T, A}, False),
        ("OutOf(2, 'OemMSP.peer', 'SeatsMSP.peer', 'TransMSP.peer')", {S, T}, True),
        ("OutOf(2, 'OemMSP.peer', 'SeatsMSP.peer', 'TransMSP.peer')", {T, A}, False),
        ("outof(3, 'OemMSP.peer', 'SeatsMSP.peer', 'TransMSP.peer')", {OEM, S, T, A}, True),
        ("AND('OemMSP.peer', OR('SeatsMSP.peer', \"TransMSP.member\"))", {OEM, T}, True),
        ("AND('OemMSP.peer', OR('SeatsMSP.peer', 'TransMSP.member'))", {S, T}, False),
        ("or(and('OemMSP.peer','SeatsMSP.peer'), and('TransMSP.peer','AuditMSP.peer'))", {T, A}, True),
        ("or(and('OemMSP.peer','SeatsMSP.peer'), and('TransMSP.peer','AuditMSP.peer'))", {OEM, T}, False),
        # Fabric's cauthdsl: one endorsement satisfies one principal only.
        ("AND('OemMSP.peer', 'OemMSP.member')", {OEM}, False),
        ("AND('OemMSP.peer', 'OemMSP.member')", [OEM, OEM], True),
    ],
)
def test_policy_evaluation(text: str, endorsers, expected: bool) -> None:
    assert parse_policy(text, ORGS).satisfied(endorsers) is expected


@pytest.mark.parametrize(
    ("text", "fabric"),
    [
        ("MAJORITY", "OutOf(3, 'AuditMSP.peer', 'OemMSP.peer', 'SeatsMSP.peer', 'TransMSP.peer')"),
        ("ANY", "OR('AuditMSP.peer', 'OemMSP.peer', 'SeatsMSP.peer', 'TransMSP.peer')"),
        (
            "and('OemMSP.peer',or('SeatsMSP.member','TransMSP.peer'))",
            "AND('OemMSP.peer', OR('SeatsMSP.member', 'TransMSP.peer'))",
        ),
        ("OutOf(1, 'OemMSP.peer')", "OutOf(1, 'OemMSP.peer')"),
    ],
)
def test_policy_fabric_spelling(text: str, fabric: str) -> None:
    policy = parse_policy(text, ORGS)
    assert policy.fabric() == fabric
    assert parse_policy(policy.fabric(), ORGS) == policy


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "endorsement policy '': is empty"),
        (
            "AND(",
            "endorsement policy 'AND(': expected a principal or AND/OR/OutOf, found end of text at position 4",
        ),
        (
            "AND('OemMSP.peer'",
            "endorsement policy \"AND('OemMSP.peer'\": expected ')', found end of text at position 17",
        ),
        (
            "XOR('OemMSP.peer')",
            "endorsement policy \"XOR('OemMSP.peer')\": expected a quoted principal or AND/OR/OutOf, found 'XOR' at position 0",
        ),
        (
            "AND(OemMSP.peer)",
            "endorsement policy 'AND(OemMSP.peer)': principal OemMSP.peer must be quoted, as in 'OemMSP.peer' at position 4",
        ),
        (
            "AND('FordMSP.peer')",
            "endorsement policy \"AND('FordMSP.peer')\": principal 'FordMSP.peer' names unknown MSP 'FordMSP' "
            "(known: AuditMSP, OemMSP, SeatsMSP, TransMSP) at position 4",
        ),
        (
            "'OemMSP.admin'",
            "endorsement policy \"'OemMSP.admin'\": principal 'OemMSP.admin': role 'admin' does not endorse; "
            "use 'OemMSP.peer' or 'OemMSP.member' at position 0",
        ),
        (
            "'OemMSP.boss'",
            "endorsement policy \"'OemMSP.boss'\": principal 'OemMSP.boss': unknown role 'boss' (expected peer or member) "
            "at position 0",
        ),
        (
            "'OemMSP'",
            "endorsement policy \"'OemMSP'\": principal 'OemMSP' is not of the form 'MSP.role' at position 0",
        ),
        (
            "OutOf(3, 'OemMSP.peer', 'SeatsMSP.peer')",
            "endorsement policy \"OutOf(3, 'OemMSP.peer', 'SeatsMSP.peer')\": OutOf(3, ...) needs between 1 and 2 "
            "(its number of rules) at position 6",
        ),
        (
            "OutOf(0, 'OemMSP.peer')",
            "endorsement policy \"OutOf(0, 'OemMSP.peer')\": OutOf(0, ...) needs between 1 and 1 (its number of rules) "
            "at position 6",
        ),
        (
            "OutOf('OemMSP.peer')",
            "endorsement policy \"OutOf('OemMSP.peer')\": expected a number, found \"'OemMSP.peer'\" at position 6",
        ),
        (
            "MAJORITY votes",
            "endorsement policy 'MAJORITY votes': unexpected 'votes' after MAJORITY at position 9",
        ),
        (
            "'OemMSP.peer' 'SeatsMSP.peer'",
            "endorsement policy \"'OemMSP.peer' 'SeatsMSP.peer'\": unexpected \"'SeatsMSP.peer'\" after the policy "
            "at position 14",
        ),
        (
            "AND('OemMSP.peer'; 'SeatsMSP.peer')",
            "endorsement policy \"AND('OemMSP.peer'; 'SeatsMSP.peer')\": unexpected character ';' at position 17",
        ),
    ],
)
def test_policy_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_policy(text, ORGS)
    assert err.value.message == message
    assert err.value.field == "endorsement_policy"
    assert err.value.value == text


def test_implicit_policy_needs_orgs() -> None:
    with pytest.raises(ValidationError, match="MAJORITY needs at least one organization"):
        parse_policy("MAJORITY", ())


def test_policy_names_its_msps() -> None:
    policy = parse_policy("AND('OemMSP.peer', OR('SeatsMSP.peer', 'TransMSP.member'))", ORGS)
    assert policy.msp_ids == frozenset({OEM, S, T})


def test_signature_policy_envelope_matches_fabric_policydsl() -> None:
    policy = parse_policy("AND('OemMSP.peer', OR('SeatsMSP.peer', 'TransMSP.member'))", ORGS)
    env = signature_policy_envelope(policy)
    assert env.version == 0
    principals = []
    for ident in env.identities:
        assert ident.principal_classification == msp_principal_pb2.MSPPrincipal.ROLE
        role = msp_principal_pb2.MSPRole.FromString(ident.principal)
        principals.append((role.msp_identifier, msp_principal_pb2.MSPRole.MSPRoleType.Name(role.role)))
    assert principals == [("OemMSP", "PEER"), ("SeatsMSP", "PEER"), ("TransMSP", "MEMBER")]
    top = env.rule.n_out_of
    assert top.n == 2
    assert top.rules[0].signed_by == 0
    assert top.rules[1].n_out_of.n == 1
    assert [r.signed_by for r in top.rules[1].n_out_of.rules] == [1, 2]
    wrapped = policy_pb2.ApplicationPolicy.FromString(application_policy_bytes(policy))
    assert wrapped.signature_policy == env


def test_majority_envelope_is_explicit() -> None:
    env = signature_policy_envelope(parse_policy("MAJORITY", ORGS))
    assert env.rule.n_out_of.n == 3
    assert len(env.identities) == 4
