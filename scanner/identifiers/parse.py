"""One entry point for every scanned spelling: detect the form, split it, validate it, build the identifier.

Forms recognised, in this order (after control pictures are mapped and a trailing CR/LF dropped):

* ``[)>`` RS ... : ISO/IEC 15434 (format 06 MH10.8.2 DIs, format 05 GS1, several envelopes);
* an AIM symbology identifier ``]d2`` / ``]C1`` / ``]Q3`` / ``]e0`` / ``]J1`` : GS1 element strings; any other
  ``]Xn`` prefix is dropped and the rest detected again;
* a leading GS (libdmtx reports FNC1-first that way) : GS1 element strings;
* ``(`` : GS1 HRI; ``http://`` or ``https://`` : GS1 Digital Link on any domain;
* otherwise digits : raw GS1 element strings without prefix.

>>> parse("]d2010950600013435221SN1").uid
'https://id.gs1.org/01/09506000134352/21/SN1'
>>> parse("(01)09506000134352(21)SN1").uid == parse("https://x.example/01/09506000134352/21/SN1").uid
True
"""

from __future__ import annotations

from scanner.identifiers.errors import IdentifierParseError, SerialRequiredError
from scanner.identifiers.gs1 import identifier_from_pairs
from scanner.identifiers.gs1_syntax import parse_digital_link, parse_hri, split_element_string
from scanner.identifiers.iso15434 import parse_message
from scanner.identifiers.mh10 import identifier_from_fields, split_field
from scanner.identifiers.model import PartIdentifier
from scanner.identifiers.text import GS, normalise, show

#: AIM symbology identifiers whose data are GS1 element strings.
GS1_SYMBOLOGIES = ("]d2", "]C1", "]Q3", "]e0", "]J1")


def _from_15434(text: str) -> PartIdentifier:
    envelopes = parse_message(text)
    dis: list[tuple[str, str]] = []
    ais: list[tuple[str, str]] = []
    for env in envelopes:
        if env.format == "06":
            dis.extend(split_field(f) for f in env.fields)
        else:
            ais.extend(split_element_string(GS.join(env.fields)))
    if dis:
        part = identifier_from_fields(dis)
        if ais:
            gs1 = identifier_from_pairs(ais)
            return PartIdentifier(**{**part.as_dict(), "gtin": gs1.gtin, "fields": {**gs1.fields, **part.fields}})
        return part
    return identifier_from_pairs(ais)


def _detect(text: str) -> PartIdentifier:
    if text.startswith("[)>"):
        return _from_15434(text)
    if text.startswith("]") and len(text) >= 3:
        if text[:3] in GS1_SYMBOLOGIES:
            return identifier_from_pairs(split_element_string(text[3:]))
        if text[1].isalpha() and text[2].isalnum() and len(text) > 3:
            return _detect(text[3:])
    if text.startswith(GS):
        return identifier_from_pairs(split_element_string(text))
    if text.startswith("("):
        return identifier_from_pairs(parse_hri(text))
    if text[:8].lower().startswith(("http://", "https://")):
        return identifier_from_pairs(parse_digital_link(text))
    if text[:2].isdigit():
        return identifier_from_pairs(split_element_string(text))
    raise IdentifierParseError(
        f"unrecognised identifier {show(text)}: expected GS1 element strings, GS1 HRI '(01)...', "
        f"a GS1 Digital Link URI or an ISO/IEC 15434 message '[)>'",
        value=text,
    )


def parse(text: str, *, require_serial: bool = False) -> PartIdentifier:
    """Parse any scanned spelling of a part identifier.

    Args:
        text: What the scanner transmitted (GS as U+001D, RS as U+001E, EOT as U+0004), or a typed spelling.
        require_serial: Refuse lot- and class-level identifiers (stations that track single parts).

    Raises:
        IdentifierParseError: the text is not a readable payload.
        IdentifierValidationError: a value breaks a rule; :class:`SerialRequiredError` when
            ``require_serial`` and the identifier names a lot or a class.
    """
    if not isinstance(text, str):
        raise IdentifierParseError(f"scan must be text, got {type(text).__name__}", value=repr(text)[:40])
    part = _detect(normalise(text))
    if require_serial and not part.serialized:
        raise SerialRequiredError(
            f"{part.uid} identifies a lot or product class, not a serialized part",
            value=part.uid,
            field="serial",
        )
    return part


__all__ = ["parse"]
