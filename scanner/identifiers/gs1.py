r"""Build a :class:`PartIdentifier` from validated GS1 elements, with the canonical Digital Link ``uid``.

``uid`` rules (GS1 scheme):

* The primary key is the first of AI 01 (GTIN), 8006 (ITIP), 8004 (GIAI), 8003 (GRAI), 00 (SSCC),
  8010 (CPID) present in the message; ``uid`` is ``https://id.gs1.org/<AI>/<value>`` plus only the *identity*
  qualifiers, each value percent-encoded as in biip (``quote(value, safe="")``).
* 01 / 8006: with a serial (21) -> ``/01/<gtin>[/22/<cpv>]/21/<serial>`` (one item; the lot is *not* part of
  the key, so a label with and without the lot gives the same ``uid``); without a serial but with a lot (10)
  -> ``/01/<gtin>[/22/<cpv>]/10/<lot>`` (a lot); with neither -> ``/01/<gtin>`` (a product class). GTINs are
  padded to 14 digits.
* 8004 GIAI and 00 SSCC are individual by definition; 8003 GRAI is individual when it carries a serial
  component; 8010 CPID is individual with 8011.
* Data attributes (dates, 241, 422...) never enter ``uid``; they stay in ``fields``.

>>> from scanner.identifiers.gs1_syntax import split_element_string
>>> identifier_from_pairs(split_element_string("0109506000134352" + "10L1\x1d21SN1")).uid
'https://id.gs1.org/01/09506000134352/21/SN1'
"""

from __future__ import annotations

from urllib.parse import quote

from scanner.identifiers.checks import gs1_date
from scanner.identifiers.countries import alpha2_from_numeric
from scanner.identifiers.errors import IdentifierValidationError
from scanner.identifiers.gs1_syntax import Pairs, validate_message
from scanner.identifiers.model import PartIdentifier
from scanner.identifiers.text import show

RESOLVER = "https://id.gs1.org"
PRIMARY_KEYS = ("01", "8006", "8004", "8003", "00", "8010")


def digital_link(pairs: list[tuple[str, str]]) -> str:
    """A Digital Link URI on id.gs1.org from (AI, value) path pairs, in the order given."""
    return RESOLVER + "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in pairs)


def _key_path(fields: dict[str, str]) -> tuple[str, list[tuple[str, str]], bool]:
    """Primary key AI, the identity path pairs and whether they name one item."""
    key = next((ai for ai in PRIMARY_KEYS if ai in fields), None)
    if key is None:
        listed = ", ".join(PRIMARY_KEYS)
        text = "".join(f"({ai}){v}" for ai, v in fields.items())
        raise IdentifierValidationError(
            f"GS1 message {show(text)} has no part key: expected one of AI {listed}", value=text
        )
    path = [(key, fields[key])]
    if key in ("01", "8006"):
        if "22" in fields:
            path.append(("22", fields["22"]))
        if "21" in fields:
            return key, [*path, ("21", fields["21"])], True
        if "10" in fields:
            return key, [*path, ("10", fields["10"])], False
        return key, path, False
    if key == "8003":
        return key, path, len(fields[key]) > 14
    if key == "8010":
        if "8011" in fields:
            return key, [*path, ("8011", fields["8011"])], True
        return key, path, False
    return key, path, True


def identifier_from_pairs(pairs: Pairs) -> PartIdentifier:
    """Validate GS1 (AI, value) pairs and build the identifier.

    Raises:
        IdentifierValidationError: a bad element (see :func:`validate_pair`) or no part key.
    """
    fields = validate_message(pairs)
    key, path, serialized = _key_path(fields)
    gtin = fields.get("01") or (fields["8006"][:14] if "8006" in fields else None)
    serial = fields.get("21") or fields.get("8011")
    if key == "8003" and serialized:
        serial = fields["8003"][14:]
    quantity = fields.get("30") or fields.get("37")
    country = fields.get("422")
    return PartIdentifier(
        scheme="gs1",
        uid=digital_link(path),
        serialized=serialized,
        gtin=gtin,
        serial=serial,
        lot=fields.get("10"),
        production_date=gs1_date(fields["11"], "11").isoformat() if "11" in fields else None,
        expiry_date=gs1_date(fields["17"], "17").isoformat() if "17" in fields else None,
        part_number=fields.get("241") or fields.get("240"),
        country_of_origin=alpha2_from_numeric(country) if country else None,
        quantity=int(quantity) if quantity else None,
        fields=fields,
        primary_key=key,
    )
