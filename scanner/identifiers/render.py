r"""Build payloads from fields: GS1 element strings, HRI and Digital Link; ISO/IEC 15434 envelopes.

Labels and tests need the inverse of :func:`parse`. Every builder validates by parsing its own output, so a
label can never carry a payload the ledger would refuse (the encoders accept wrong check digits and dates).

>>> pairs = gs1_pairs(gtin="9506000134352", serial="SN1", lot="L1", production_date="2025-03-14")
>>> to_hri(pairs)
'(01)09506000134352(11)250314(21)SN1(10)L1'
>>> to_gs1_element_string(pairs) == "0109506000134352112503142" + "1SN1\x1d10L1"
True
>>> to_15434([("P", "84512345"), ("12V", "123456789"), ("S", "SN1")]).replace("\x1d", "|")
'[)>\x1e06|P84512345|12V123456789|SSN1\x1e\x04'
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from scanner.identifiers.checks import normalise_gtin
from scanner.identifiers.countries import is_alpha2, numeric_from_alpha2
from scanner.identifiers.errors import IdentifierValidationError
from scanner.identifiers.gs1_syntax import lookup_ai
from scanner.identifiers.model import PartIdentifier
from scanner.identifiers.parse import parse
from scanner.identifiers.text import EOT, GS, RS

Pairs = list[tuple[str, str]]


def _iso_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise IdentifierValidationError(
            f"{name} {value!r} is not an ISO date (YYYY-MM-DD)", value=value, field=name
        ) from None


def _country(value: str) -> str:
    code = value.upper()
    if not is_alpha2(code):
        raise IdentifierValidationError(
            f"country of origin {value!r} is not an ISO 3166-1 alpha-2 code", value=value, field="country"
        )
    return code


def gs1_pairs(
    *,
    gtin: str,
    serial: str | None = None,
    lot: str | None = None,
    production_date: str | None = None,
    expiry_date: str | None = None,
    part_number: str | None = None,
    country_of_origin: str | None = None,
    quantity: int | None = None,
) -> Pairs:
    """GS1 (AI, value) pairs from typed fields (dates ISO, country alpha-2), predefined-length AIs first."""
    pairs: Pairs = [("01", normalise_gtin(gtin))]
    if production_date:
        pairs.append(("11", _iso_date(production_date, "production_date").strftime("%y%m%d")))
    if expiry_date:
        pairs.append(("17", _iso_date(expiry_date, "expiry_date").strftime("%y%m%d")))
    if serial:
        pairs.append(("21", serial))
    if lot:
        pairs.append(("10", lot))
    if part_number:
        pairs.append(("241", part_number))
    if country_of_origin:
        pairs.append(("422", str(numeric_from_alpha2(_country(country_of_origin)))))
    if quantity is not None:
        pairs.append(("30", str(quantity)))
    return pairs


def mh10_pairs(
    *,
    part_number: str | None = None,
    supplier_part_number: str | None = None,
    serial: str | None = None,
    uii: str | None = None,
    duns: str | None = None,
    supplier_code: str | None = None,
    lot: str | None = None,
    production_date: str | None = None,
    expiry_date: str | None = None,
    country_of_origin: str | None = None,
    quantity: int | None = None,
) -> Pairs:
    """MH10 (DI, value) pairs from typed fields, in the order automotive labels print them."""
    pairs: Pairs = []
    if uii:
        pairs.append(("25S", uii))
    if part_number:
        pairs.append(("P", part_number))
    if supplier_part_number:
        pairs.append(("1P", supplier_part_number))
    if duns:
        pairs.append(("12V", duns))
    if supplier_code:
        pairs.append(("V", supplier_code))
    if serial:
        pairs.append(("S", serial))
    if lot:
        pairs.append(("1T", lot))
    if production_date:
        pairs.append(("16D", _iso_date(production_date, "production_date").strftime("%Y%m%d")))
    if expiry_date:
        pairs.append(("14D", _iso_date(expiry_date, "expiry_date").strftime("%Y%m%d")))
    if quantity is not None:
        pairs.append(("Q", str(quantity)))
    if country_of_origin:
        pairs.append(("4L", _country(country_of_origin)))
    return pairs


def ordered_pairs(pairs: Pairs) -> Pairs:
    """Predefined-length AIs first (they need no separator), the others after, each group in given order."""
    fixed = [p for p in pairs if not lookup_ai(p[0]).separator_required]
    return fixed + [p for p in pairs if lookup_ai(p[0]).separator_required]


def to_gs1_element_string(pairs: Pairs, *, symbology_identifier: str = "") -> str:
    """Element strings as a reader transmits them: GS only after a variable-length element not last."""
    out: list[str] = []
    ordered = ordered_pairs(pairs)
    for i, (ai, value) in enumerate(ordered):
        out.append(ai + value)
        if lookup_ai(ai).separator_required and i < len(ordered) - 1:
            out.append(GS)
    return symbology_identifier + "".join(out)


def to_hri(pairs: Pairs) -> str:
    """Human-readable ``(AI)value`` text, in the same order as the encoded element string."""
    return "".join(f"({ai}){value}" for ai, value in ordered_pairs(pairs))


def to_bracketed(pairs: Pairs) -> str:
    """Zint's GS1 input ``[01]...[21]...``: unambiguous because CSET 82 has no square brackets.

    HRI parentheses are not safe as encoder input: a serial ``X(21)Y`` would be split into two elements.
    """
    return "".join(f"[{ai}]{value}" for ai, value in ordered_pairs(pairs))


def to_digital_link(pairs: Pairs) -> str:
    """A full Digital Link URI on id.gs1.org: the canonical key path, then every other AI as a query."""
    part = parse(to_gs1_element_string(pairs))
    rest = [(ai, v) for ai, v in pairs if f"/{ai}/{quote(v, safe='')}" not in part.uid]
    return part.uid + ("?" + urlencode(rest) if rest else "")


def to_15434(pairs: Pairs, *, gs1_pairs: Pairs | None = None) -> str:
    """An ISO/IEC 15434 message: a format-06 envelope of DIs, plus a format-05 one for GS1 AIs."""
    envelopes = []
    if pairs:
        envelopes.append("06" + GS + GS.join(di + value for di, value in pairs))
    if gs1_pairs:
        envelopes.append("05" + GS + to_gs1_element_string(gs1_pairs))
    return "[)>" + RS + RS.join(envelopes) + RS + EOT


def payload_for(identifier: PartIdentifier) -> str:
    """What a reader transmits for this identifier: GS1 element strings (GS-separated) or a 15434 message."""
    items = list(identifier.fields.items())
    if identifier.scheme == "gs1":
        return to_gs1_element_string(items)
    ais = [(k, v) for k, v in items if k.isdigit()]
    return to_15434([(k, v) for k, v in items if not k.isdigit()], gs1_pairs=ais or None)


def build_gs1(**fields: object) -> PartIdentifier:
    """Validated GS1 identifier from typed fields (see :func:`gs1_pairs`)."""
    return parse(to_gs1_element_string(gs1_pairs(**fields)))  # type: ignore[arg-type]


def build_mh10(**fields: object) -> PartIdentifier:
    """Validated MH10 identifier from typed fields (see :func:`mh10_pairs`)."""
    return parse(to_15434(mh10_pairs(**fields)))  # type: ignore[arg-type]
