"""Part identifiers as scanned on automotive labels: GS1 (AIs, HRI, Digital Link) and ISO/IEC 15434 MH10 DIs.

Use :func:`parse` on whatever a scanner transmitted; the result's ``uid`` is the ledger's part key.
"""

from __future__ import annotations

from scanner.identifiers.errors import IdentifierParseError, IdentifierValidationError, SerialRequiredError
from scanner.identifiers.model import PartIdentifier
from scanner.identifiers.parse import parse
from scanner.identifiers.render import (
    build_gs1,
    build_mh10,
    gs1_pairs,
    mh10_pairs,
    ordered_pairs,
    payload_for,
    to_15434,
    to_bracketed,
    to_digital_link,
    to_gs1_element_string,
    to_hri,
)
from scanner.identifiers.text import unescape

__all__ = [
    "IdentifierParseError",
    "IdentifierValidationError",
    "PartIdentifier",
    "SerialRequiredError",
    "build_gs1",
    "build_mh10",
    "gs1_pairs",
    "mh10_pairs",
    "ordered_pairs",
    "parse",
    "payload_for",
    "to_15434",
    "to_bracketed",
    "to_digital_link",
    "to_gs1_element_string",
    "to_hri",
    "unescape",
]
