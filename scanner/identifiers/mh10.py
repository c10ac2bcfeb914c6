"""ANSI MH10.8.2 Data Identifiers (the automotive side): DI table, value rules and the canonical ``uid``.

A DI is zero to three digits and one letter (``P``, ``1P``, ``25S``); the value follows directly. Known DIs
are checked against the table below; unknown but well-formed DIs are kept in ``fields`` (labels carry many).

``uid`` rules (MH10 scheme), so that every construct naming the same item gives the same URN:

1. Unique item identifier (UII, MIL-STD-130 construct 1) = issuing agency code (IAC) + company id (CIN) +
   serial. ``uid = "urn:usmca:uii:" + pct(IAC + CIN + serial)``. Sources, in order:
   ``25S`` (already IAC+CIN+serial); ``18S`` (CAGE + serial, IAC ``D`` prepended);
   ``18V`` (IAC+CIN) + ``S``; ``12V`` (DUNS, IAC ``UN``) + ``S``; ``13V`` (DUNS, IAC ``UN``) + ``S``.
   Hence ``25SUN123456789SN1`` = ``18VUN123456789`` + ``SSN1`` = ``12V123456789`` + ``SSN1``.
2. ``37S`` (construct 2: IAC + CIN + part number + ``+`` + serial): ``urn:usmca:uii:`` + pct(value without
   the ``+``), as MIL-STD-130 concatenates it.
3. ``V`` (supplier code, unique only within one customer's numbering) + ``S``:
   ``urn:usmca:vsn:<pct V>:<pct S>``.
4. No serial: a lot ``urn:usmca:lot:<issuer>:<part>:<lot>`` (lot from ``1T``, else ``T``) or a product class
   ``urn:usmca:class:<issuer>:<part>``; issuer is IAC+CIN as above, else ``v.`` + the ``V`` code; part is
   ``P``, else ``1P``. These are *not* serialized (``require_serial=True`` refuses them).

``pct`` is ``urllib.parse.quote(value, safe="")``, so ``:`` never appears inside a component. A serial ``S``
without any issuer is refused: it is not unique outside its supplier.

>>> identifier_from_fields([("25S", "UN123456789SN1")]).uid
'urn:usmca:uii:UN123456789SN1'
>>> identifier_from_fields([("12V", "123456789"), ("S", "SN1")]).uid
'urn:usmca:uii:UN123456789SN1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from scanner.identifiers.checks import mh10_date, mh10_week
from scanner.identifiers.countries import is_alpha2
from scanner.identifiers.errors import IdentifierParseError, IdentifierValidationError
from scanner.identifiers.model import PartIdentifier
from scanner.identifiers.text import show

DI_RE = re.compile(r"(\d{0,3}[A-Z])(.*)", re.S)

#: Printable ASCII, as MH10 "an" data; separators never appear inside a value.
_AN = r"[\x20-\x7e]"


@dataclass(frozen=True)
class DataIdentifier:
    """One row of the DI table: what it means, the value pattern and its shape for messages."""

    title: str
    pattern: str
    shape: str


_T = DataIdentifier
#: Known DIs (MH10.8.2 lists on mhi.org / id-link.eu, see ../shared/docs/identifiers.md section 1.2).
DIS: dict[str, DataIdentifier] = {
    "P": _T("customer part number", rf"{_AN}{{1,35}}", "an..35"),
    "1P": _T("supplier part number", rf"{_AN}{{1,35}}", "an..35"),
    "2P": _T("revision level", rf"{_AN}{{1,10}}", "an..10"),
    "30P": _T("part number with revision", rf"{_AN}{{1,35}}", "an..35"),
    "K": _T("customer order number", rf"{_AN}{{1,35}}", "an..35"),
    "1K": _T("supplier order number", rf"{_AN}{{1,35}}", "an..35"),
    "S": _T("serial number", rf"{_AN}{{1,35}}", "an..35"),
    "3S": _T("package id", rf"{_AN}{{1,35}}", "an..35"),
    "4S": _T("package id", rf"{_AN}{{1,35}}", "an..35"),
    "18S": _T("CAGE + serial", r"[0-9A-Z]{5}[\x21-\x7e]{1,45}", "CAGE(5) + an..45"),
    "25S": _T("unique item id (IAC+CIN+serial)", r"[0-9A-Z]{2,}[\x21-\x7e]*", "IAC + CIN + serial, an..50"),
    "37S": _T("IAC+CIN+part+serial", r"[0-9A-Z]{2,}[^+]*\+[\x21-\x7e]+", "IAC + CIN + part '+' serial"),
    "T": _T("customer traceability number", rf"{_AN}{{1,35}}", "an..35"),
    "1T": _T("supplier traceability number", rf"{_AN}{{1,35}}", "an..35"),
    "V": _T("supplier code", rf"{_AN}{{1,35}}", "an..35"),
    "12V": _T("manufacturer DUNS", r"\d{9}(\d{4})?", "n9 or n13"),
    "13V": _T("supplier DUNS", r"\d{9}(\d{4})?", "n9 or n13"),
    "14V": _T("customer DUNS", r"\d{9}(\d{4})?", "n9 or n13"),
    "18V": _T("party id (IAC+CIN)", r"[0-9A-Z]{2,35}", "IAC + CIN, an..35"),
    "Q": _T("quantity", r"\d{1,10}", "n..10"),
    "4L": _T("country of origin", r"[A-Z]{2}", "ISO 3166 alpha-2"),
    "9D": _T("date code", r"\d{4}", "YYWW"),
    "11D": _T("year and week", r"\d{6}", "YYYYWW"),
    "12D": _T("date", r"\d{8}", "YYYYMMDD"),
    "14D": _T("expiry date", r"\d{8}", "YYYYMMDD"),
    "16D": _T("production date", r"\d{8}", "YYYYMMDD"),
}
_GENERIC = DataIdentifier("", rf"{_AN}{{1,100}}", "an..100")
_DATES = {"12D", "14D", "16D"}
_MAX_UII = 50


def split_field(raw: str) -> tuple[str, str]:
    """Split one 15434 format-06 field into (DI, value).

    Raises:
        IdentifierParseError: the field does not start with a DI (0-3 digits and a letter).
    """
    m = DI_RE.fullmatch(raw)
    if m is None:
        raise IdentifierParseError(
            f"field {show(raw)} does not start with a Data Identifier (digits and a letter)", value=raw
        )
    return m.group(1), m.group(2)


def validate_field(di: str, value: str) -> None:
    """Check one DI value against the table (format, length, dates, weeks, country).

    Raises:
        IdentifierValidationError: naming the DI and the value.
    """
    if not value:
        raise IdentifierValidationError(f"DI {di} has an empty value", value=value, field=di)
    spec = DIS.get(di, _GENERIC)
    if re.fullmatch(spec.pattern, value) is None:
        raise IdentifierValidationError(
            f"DI {di} value {show(value)} does not match format {spec.shape}", value=value, field=di
        )
    if di in _DATES:
        mh10_date(value, di)
    elif di == "9D":
        mh10_week(value, di, year_digits=2)
    elif di == "11D":
        mh10_week(value, di, year_digits=4)
    elif di == "4L" and not is_alpha2(value):
        raise IdentifierValidationError(
            f"DI 4L country {value} is not an ISO 3166-1 alpha-2 code", value=value, field=di
        )
    elif di in ("25S", "37S", "18S") and len(value) > _MAX_UII:
        raise IdentifierValidationError(
            f"DI {di} value {show(value)} is {len(value)} characters, longer than a UII ({_MAX_UII})",
            value=value,
            field=di,
        )


def _pct(value: str) -> str:
    return quote(value, safe="")


def _enterprise(fields: dict[str, str]) -> tuple[str, str] | None:
    """(IAC+CIN, source DI) of the party that assigned the serial, when the message names one."""
    if "18V" in fields:
        return fields["18V"], "18V"
    for di in ("12V", "13V"):
        if di in fields:
            return "UN" + fields[di], di
    return None


def _uid(fields: dict[str, str]) -> tuple[str, bool, str, str | None]:
    """(uid, serialized, construct, serial) following the module rules."""
    ent = _enterprise(fields)
    serial = fields.get("S")
    if "25S" in fields:
        uii = fields["25S"]
        if ent is not None and serial is not None and ent[0] + serial != uii:
            raise IdentifierValidationError(
                f"25S {uii} contradicts {ent[1]}+S, which give {ent[0] + serial}", value=uii, field="25S"
            )
        if serial is None and uii.startswith("UN") and uii[2:11].isdigit():
            serial = uii[11:] or None
        return "urn:usmca:uii:" + _pct(uii), True, "25S", serial
    if "18S" in fields:
        return "urn:usmca:uii:" + _pct("D" + fields["18S"]), True, "18S", serial or fields["18S"][5:]
    if "37S" in fields:
        head, _, tail = fields["37S"].rpartition("+")
        return "urn:usmca:uii:" + _pct(head + tail), True, "37S", serial or tail
    if serial is not None:
        if ent is not None:
            return "urn:usmca:uii:" + _pct(ent[0] + serial), True, f"{ent[1]}+S", serial
        if "V" in fields:
            return f"urn:usmca:vsn:{_pct(fields['V'])}:{_pct(serial)}", True, "V+S", serial
        raise IdentifierValidationError(
            f"serial S{serial} has no issuer: add 25S, 18V, 12V, 13V or V", value=serial, field="S"
        )
    issuer = ent[0] if ent is not None else ("v." + fields["V"] if "V" in fields else None)
    part = fields.get("P") or fields.get("1P")
    if issuer is None or part is None:
        missing = "an issuer (18V, 12V, 13V or V)" if issuer is None else "a part number (P or 1P)"
        text = "".join(f"{d}{v}|" for d, v in fields.items()).rstrip("|")
        raise IdentifierValidationError(
            f"MH10 message {show(text)} identifies no part: it has no serial and no {missing}", value=text
        )
    lot = fields.get("1T") or fields.get("T")
    if lot is not None:
        return f"urn:usmca:lot:{_pct(issuer)}:{_pct(part)}:{_pct(lot)}", False, "lot", None
    return f"urn:usmca:class:{_pct(issuer)}:{_pct(part)}", False, "class", None


def identifier_from_fields(pairs: list[tuple[str, str]]) -> PartIdentifier:
    """Validate MH10 (DI, value) pairs and build the identifier.

    Raises:
        IdentifierValidationError: a bad value, a DI repeated with two values, or no identifying DIs.
    """
    fields: dict[str, str] = {}
    for di, value in pairs:
        validate_field(di, value)
        if di in fields and fields[di] != value:
            raise IdentifierValidationError(
                f"DI {di} appears twice with different values {show(fields[di])} and {show(value)}",
                value=value,
                field=di,
            )
        fields[di] = value
    uid, serialized, construct, serial = _uid(fields)
    duns = fields.get("12V")
    if duns is None:
        party = fields.get("18V") or fields.get("25S") or ""
        duns = party[2:11] if party.startswith("UN") and party[2:11].isdigit() else fields.get("13V")
    return PartIdentifier(
        scheme="mh10",
        uid=uid,
        serialized=serialized,
        serial=serial,
        lot=fields.get("1T") or fields.get("T"),
        production_date=mh10_date(fields["16D"], "16D").isoformat() if "16D" in fields else None,
        expiry_date=mh10_date(fields["14D"], "14D").isoformat() if "14D" in fields else None,
        part_number=fields.get("P") or fields.get("1P"),
        supplier_part_number=fields.get("1P"),
        supplier_code=fields.get("V"),
        duns=duns,
        country_of_origin=fields.get("4L"),
        quantity=int(fields["Q"]) if "Q" in fields else None,
        fields=fields,
        primary_key=construct,
    )
