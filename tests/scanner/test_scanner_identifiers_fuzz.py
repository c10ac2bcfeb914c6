"""Fuzzing: any input parses or raises the project's ParseError / ValidationError, never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import ParseError, ValidationError
from scanner.identifiers import PartIdentifier, parse, payload_for

GS, RS, EOT = "\x1d", "\x1e", "\x04"
SEEDS = [
    "]d201040123451234561125031421SN000187" + GS + "10LOT42",
    "(01)04012345123456(21)SN000187(241)8W0-123-456-A(422)276",
    "https://id.gs1.org/01/04012345123456/10/LOT42/21/SN000187?11=250314",
    "(8006)040123451234560102(21)SN000187",
    "[)>" + RS + "06" + GS + "25SUN123456789SN0001234" + GS + "P84512345" + GS + "16D20250314" + GS + "4LDE" + RS + EOT,
    "[)>"
    + RS
    + "06"
    + GS
    + "P84512345"
    + GS
    + "Q250"
    + GS
    + "1TLOT2503A"
    + GS
    + "9D2511"
    + GS
    + "12V123456789"
    + RS
    + EOT,
]
ALPHABET = st.sampled_from(
    [
        *list("0123456789()[]>/%?=&:.+-_ ABCDPSTVQLZabcxyz"),
        GS,
        RS,
        EOT,
        "\r",
        "\n",
        "\x00",
        "é",
        "␝",
        "]d2",
        "[)>",
    ]
)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> None:
    try:
        part = parse(text)
    except (ParseError, ValidationError) as err:
        message = err.message
        part = None
    if part is None:
        assert message
        return
    assert isinstance(part, PartIdentifier)
    json.dumps(part.as_dict())
    # The canonical uid is stable: the payload rebuilt from the fields parses to the same part.
    assert parse(payload_for(part)).uid == part.uid
    if part.scheme == "gs1":
        assert parse(part.uid).uid == part.uid


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    check(text)


@SETTINGS
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_barcode_alphabet_never_crashes(text: str) -> None:
    check(text)


@SETTINGS
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3), ALPHABET), min_size=1, max_size=4),
)
def test_mutated_valid_payloads_never_crash(seed: str, edits: list[tuple[int, int, str]]) -> None:
    text = seed
    for where, op, ch in edits:
        pos = where % (len(text) + 1)
        if op == 0:
            text = text[:pos] + ch + text[pos:]
        elif op == 1:
            text = text[:pos] + text[pos + 1 :]
        elif op == 2:
            text = text[:pos] + ch + text[pos + 1 :]
        else:
            text = text[:pos]
    check(text)


@SETTINGS
@given(st.binary(max_size=120))
def test_binary_garbage_decoded_as_latin1_never_crashes(data: bytes) -> None:
    check(data.decode("latin-1"))
