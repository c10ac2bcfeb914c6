"""Canonical GS1 Digital Link form of identifiers used inside EPCIS events, as the event hash needs it.

The GS1 event hash (CBV 2.0 §8.9) hashes every identifier in one canonical form so that an EPC URN, an EPC
class or pattern URI and any GS1 Digital Link spelling of the same key give the same hash. The rules below
reproduce the behaviour of epcis-event-hash-generator 1.9.3's ``dl_normaliser`` (MIT licence, (c) 2019-2023
Ralph Troeger) case for case, including its quirks (fixed slicing offsets, unescaped dots, GRAI/GDTI patterns
with a doubled dot), because a hash that differs from the reference tool's is useless to trading partners.
Patterns are compiled once and dispatched by URN scheme, which makes this several times faster than trying
every pattern in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

#: One character of a GS1 AI-82 serial as allowed in EPC URIs (raw or percent-encoded).
_SER = (
    r"(\%2[125-9A-Fa-f]|\%3[0-9A-Fa-f]|\%4[1-9A-Fa-f]|\%5[0-9AaFf]|\%6[1-9A-Fa-f]|\%7[0-9Aa]"
    r"|[!\')(*+,.0-9:;=A-Za-z_-])"
)
#: One character of a CPI component reference (AI-39 subset).
_CPI = r"(\%2[3dfDF]|\%3[0-9]|\%4[1-9A-Fa-f]|\%5[0-9Aa]|[0-9A-Z-])"
#: Characters GS1 AI-82 allows in a DL path segment after normalisation.
_AI82 = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"


def _split(total: int, last: str | None = None) -> str:
    """Alternatives 'company prefix of 6..12 digits . reference' making ``total`` digits."""
    alts = [rf"(\d{{{n}}}\.\d{{{total - n}}})" for n in range(6, 12)]
    alts.append(last if last is not None else rf"(\d{{12}}\.\d{{{total - 12}}})")
    return "(" + "|".join(alts) + ")"


def _var(char: str, total: int, tail: str = "") -> str:
    """Alternatives 'company prefix . variable-length reference' making at most ``total`` characters."""
    return "(" + "|".join(rf"(\d{{{n}}}\.{char}{{1,{total - n}}}){tail}" for n in range(6, 13)) + ")"


def _enc(value: str) -> str:
    """Percent-encode the characters the DL standard requires encoded (same subset as the reference)."""
    return (
        value.replace("!", "%21")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("*", "%2A")
        .replace("+", "%2B")
        .replace(",", "%2C")
        .replace(":", "%3A")
    )


def check_digit(key: str) -> int:
    """GS1 mod-10 check digit of a key written without its check digit."""
    total = 0
    for i, ch in enumerate(reversed(key)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def _cd(raw: str) -> str:
    return raw + str(check_digit(raw))


def _gtin(uri: str, p: int, start: int) -> str:
    gcp = uri[start:p]
    item = uri[p + 1 : p + 1 + (13 - len(gcp))]
    return _cd(item[0:1] + gcp + item[1:])


def _gln_like(uri: str, p: int, start: int, lead: str = "") -> str:
    gcp = uri[start:p]
    return _cd(lead + gcp + uri[p + 1 : p + 1 + (12 - len(gcp))])


def _sgln(u: str, p: int) -> str:
    ext = u[30:]
    base = "https://id.gs1.org/414/" + _gln_like(u, p, 16)
    return base if ext == "0" else base + "/254/" + _enc(ext)


def _cpi(u: str, p: int, start: int) -> tuple[str, int]:
    sep = u.rfind(".")
    return _enc(u[start:p] + u[p + 1 : sep]), sep


_Handler = Callable[[str, int], str]
_DL = "https://id.gs1.org/"
_GRAI_LAST = r"([\d]{12}\.\.)"
_GLN_LAST = r"(\d{12}\.)"

_EPC: dict[str, tuple[re.Pattern[str], _Handler]] = {
    "urn:epc:id:sgtin:": (
        re.compile(r"^urn:epc:id:sgtin:" + _split(13) + r"\." + _SER + r"{1,20}$"),
        lambda u, p: _DL + "01/" + _gtin(u, p, 17) + "/21/" + _enc(u[32:]),
    ),
    "urn:epc:id:sscc:": (
        re.compile(r"^urn:epc:id:sscc:" + _split(17) + "$"),
        lambda u, p: _DL + "00/" + _cd(u[p + 1 : p + 2] + u[16:p] + u[p + 2 :]),
    ),
    "urn:epc:id:sgln:": (
        re.compile(r"^urn:epc:id:sgln:" + _split(12, _GLN_LAST) + r"\." + _SER + r"{1,20}$"),
        _sgln,
    ),
    "urn:epc:id:grai:": (
        re.compile(r"^urn:epc:id:grai:" + _split(12, _GRAI_LAST) + r"\." + _SER + r"{1,16}$"),
        lambda u, p: _DL + "8003/" + _gln_like(u, p, 16, "0") + _enc(u[30:]),
    ),
    "urn:epc:id:giai:": (
        re.compile(r"^urn:epc:id:giai:" + _var(_SER, 30) + "$"),
        lambda u, p: _DL + "8004/" + u[16:p] + _enc(u[p + 1 :]),
    ),
    "urn:epc:id:gsrn:": (
        re.compile(r"^urn:epc:id:gsrn:" + _split(17) + "$"),
        lambda u, p: _DL + "8018/" + _cd(u[16:p] + u[p + 1 :]),
    ),
    "urn:epc:id:gsrnp:": (
        re.compile(r"^urn:epc:id:gsrnp:" + _split(17) + "$"),
        lambda u, p: _DL + "8017/" + _cd(u[17:p] + u[p + 1 :]),
    ),
    "urn:epc:id:gdti:": (
        re.compile(r"^urn:epc:id:gdti:" + _split(12, _GRAI_LAST) + _SER + r"{1,20}$"),
        lambda u, p: _DL + "253/" + _gln_like(u, p, 16) + _enc(u[30:]),
    ),
    "urn:epc:id:cpi:": (
        re.compile(r"^urn:epc:id:cpi:" + _var(_CPI, 30) + r"\.[\d]{1,12}$"),
        lambda u, p: _DL + "8010/" + _cpi(u, p, 15)[0] + "/8011/" + u[u.rfind(".") + 1 :],
    ),
    "urn:epc:id:sgcn:": (
        re.compile(r"^urn:epc:id:sgcn:" + _split(12, _GLN_LAST) + r"\.[\d]{1,12}$"),
        lambda u, p: _DL + "255/" + _gln_like(u, p, 16) + u[30:],
    ),
    "urn:epc:id:ginc:": (
        re.compile(
            r"^urn:epc:id:ginc:(" + "|".join(rf"[\d]{{{n}}}\.{_SER}{{1,{30 - n}}}" for n in range(6, 13)) + ")$"
        ),
        lambda u, p: _DL + "401/" + u[16:p] + _enc(u[p + 1 :]),
    ),
    "urn:epc:id:gsin:": (
        re.compile(r"^urn:epc:id:gsin:" + _split(16) + "$"),
        lambda u, p: _DL + "402/" + _cd(u[16:p] + u[p + 1 :]),
    ),
    "urn:epc:id:itip:": (
        re.compile(r"^urn:epc:id:itip:" + _split(13) + r"\.[\d]{2}\.[\d]{2}\." + _SER + r"{1,20}$"),
        lambda u, p: _DL + "8006/" + _gtin(u, p, 16) + u[31:33] + u[34:36] + "/21/" + _enc(u[37:]),
    ),
    "urn:epc:id:upui:": (
        re.compile(r"^urn:epc:id:upui:" + _split(13) + r"\." + _SER + r"{1,28}$"),
        lambda u, p: _DL + "01/" + _gtin(u, p, 16) + "/235/" + _enc(u[31:]),
    ),
    "urn:epc:id:pgln:": (
        re.compile(r"^urn:epc:id:pgln:" + _split(12, _GLN_LAST) + "$"),
        lambda u, p: _DL + "417/" + _gln_like(u, p, 16),
    ),
    "urn:epc:class:lgtin:": (
        re.compile(r"^urn:epc:class:lgtin:" + _split(13) + r"\." + _SER + r"{1,20}$"),
        lambda u, p: _DL + "01/" + _gtin(u, p, 20) + "/10/" + _enc(u[35:]),
    ),
    "urn:epc:idpat:sgtin:": (
        re.compile(r"^urn:epc:idpat:sgtin:" + _split(13) + r"\.\*$"),
        lambda u, p: _DL + "01/" + _gtin(u, p, 20),
    ),
    "urn:epc:idpat:grai:": (
        re.compile(r"^urn:epc:idpat:grai:" + _split(12, _GRAI_LAST) + r"\.\*$"),
        lambda u, p: _DL + "8003/" + _gln_like(u, p, 19, "0"),
    ),
    "urn:epc:idpat:gdti:": (
        re.compile(r"^urn:epc:idpat:gdti:" + _split(12, _GRAI_LAST) + r"\.\*$"),
        lambda u, p: _DL + "253/" + _gln_like(u, p, 19),
    ),
    "urn:epc:idpat:sgcn:": (
        re.compile(r"^urn:epc:idpat:sgcn:" + _split(12, _GRAI_LAST) + r"\.\*$"),
        lambda u, p: _DL + "255/" + _gln_like(u, p, 19),
    ),
    "urn:epc:idpat:cpi:": (
        re.compile(r"^urn:epc:idpat:cpi:" + _var(_CPI, 30) + r"\.\*$"),
        lambda u, p: _DL + "8010/" + _cpi(u, p, 18)[0],
    ),
    "urn:epc:idpat:itip:": (
        re.compile(r"^urn:epc:idpat:itip:" + _split(13) + r"\.[\d]{2}\.[\d]{2}\.\*$"),
        lambda u, p: _DL + "8006/" + _gtin(u, p, 19) + u[34:36] + u[37:39],
    ),
    "urn:epc:idpat:upui:": (
        re.compile(r"^urn:epc:idpat:upui:" + _split(13) + r"\.\*$"),
        lambda u, p: _DL + "01/" + _gtin(u, p, 19),
    ),
}

_DL_ANY = re.compile(
    r"^https?:(\/\/((([^\/?#]*)@)?([^\/?#:]*)(:([^\/?#]*))?))?((([^?#]*)(\/(01|gtin|8006|itip|8010|cpid|414|gln"
    r"|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)\/)"
    r"(\d{4}[^\/]+)(\/[^/]+\/[^/]+)?[/]?(\?([^?\n]*))?(#([^\n]*))?)|(\/[A-Za-z_-]{10}$))"
)
_DL_CANONICAL = re.compile(
    r"^https:\/\/id.gs1.org\/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)\/(\d{4}[^\/]+)"
    r"(\/[^\/]+\/[^\/]+)?[\/]?(\?([^?\n]*))?(#([^\n]*))?|(\/[A-Za-z_-]{10}$)"
)
_SHORT_NAMES = (
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_PRIMARY_KEYS = (
    "00",
    "01",
    "253",
    "255",
    "401",
    "402",
    "414",
    "417",
    "8003",
    "8004",
    "8006",
    "8010",
    "8017",
    "8018",
)
_PAD = (
    (re.compile(r"^https:\/\/id.gs1.org\/01\/\d{13}"), "/01/0"),
    (re.compile(r"^https:\/\/id.gs1.org\/01\/\d{12}"), "/01/00"),
    (re.compile(r"^https:\/\/id.gs1.org\/01\/\d{8}"), "/01/000000"),
)
_GTIN14 = re.compile(r"^https:\/\/id.gs1.org\/01\/\d{14}")
_CPV_ONLY = (
    re.compile(r"https:\/\/id.gs1.org\/8006\/\d{18}\/22\/(" + _AI82 + r"{0,20})$"),
    re.compile(r"https:\/\/id.gs1.org\/01\/\d{14}\/22\/(" + _AI82 + r"{0,20})$"),
)
_CPV_MORE = (
    re.compile(r"https:\/\/id.gs1.org\/8006\/\d{18}\/22\/([\x2F" + _AI82[1:] + r"{0,20})$"),
    re.compile(r"https:\/\/id.gs1.org\/01\/\d{14}\/22\/([\x2F" + _AI82[1:] + r"{0,20})$"),
)
_LOT_AND_SERIAL = (
    re.compile(r"https:\/\/id.gs1.org\/8006\/\d{18}\/10\/(" + _AI82 + r"{0,20})\/21\/(" + _AI82 + r"{0,20})$"),
    re.compile(r"https:\/\/id.gs1.org\/01\/(\d{14})\/10\/(" + _AI82 + r"{0,20})\/21\/(" + _AI82 + r"{0,20})$"),
)
_VALID = tuple(
    re.compile(p)
    for p in (
        r"https:\/\/id.gs1.org\/00\/(\d{18})$",
        r"https:\/\/id.gs1.org\/01\/(\d{14})\/21\/(" + _AI82 + r"{0,20})$",
        r"https:\/\/id.gs1.org\/01\/(\d{14})\/10\/(" + _AI82 + r"{0,20})$",
        r"https:\/\/id.gs1.org\/01\/(\d{14})$",
        r"https:\/\/id.gs1.org\/01\/(\d{14})\/235\/(" + _AI82 + r"{0,28})$",
        r"https:\/\/id.gs1.org\/253\/(\d{13})(" + _AI82 + r"{0,17})$",
        r"https:\/\/id.gs1.org\/255\/(\d{13})(\d{0,12})$",
        r"https:\/\/id.gs1.org\/401\/(" + _AI82 + r"{0,30})$",
        r"https:\/\/id.gs1.org\/402\/(\d{17})$",
        r"https:\/\/id.gs1.org\/414\/(\d{13})$",
        r"https:\/\/id.gs1.org\/414\/(\d{13})\/254\/(" + _AI82 + r"{0,20})$",
        r"https:\/\/id.gs1.org\/417\/(\d{13})$",
        r"https:\/\/id.gs1.org\/8003\/(\d{14})(" + _AI82 + r"{0,16})$",
        r"https:\/\/id.gs1.org\/8004\/(" + _AI82 + r"{0,30})$",
        r"https:\/\/id.gs1.org\/8006\/(\d{18})\/21\/(" + _AI82 + r"{0,20})$",
        r"https:\/\/id.gs1.org\/8006\/(\d{18})\/10\/(" + _AI82 + r"{0,20})$",
        r"https:\/\/id.gs1.org\/8006\/(\d{18})$",
        r"https:\/\/id.gs1.org\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})\/8011/(\d{0,12})$",
        r"https:\/\/id.gs1.org\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})$",
        r"https:\/\/id.gs1.org\/8017\/(\d{18})$",
        r"https:\/\/id.gs1.org\/8018\/(\d{18})$",
    )
)


def _digital_link(uri: str) -> str | None:
    if _DL_ANY.match(uri) is None:
        return None
    q = uri.find("?")
    if q >= 0:
        uri = uri[:q]
    for short, ai in _SHORT_NAMES:
        uri = uri.replace(short, ai)
    if _DL_CANONICAL.match(uri) is None:
        for key in _PRIMARY_KEYS:
            at = uri.find("/" + key + "/")
            if at != -1:
                uri = "https://id.gs1.org" + uri[at:]
                break
    if _GTIN14.match(uri) is None:
        for pattern, padded in _PAD:
            if pattern.match(uri) is not None:
                uri = uri.replace("/01/", padded)
                break
    after_cpv = uri[uri.find("/22/") + 4 :]
    if _CPV_ONLY[0].match(uri) or _CPV_ONLY[1].match(uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") : -1]
    if _CPV_MORE[0].match(uri) or _CPV_MORE[1].match(uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") :]
    if _LOT_AND_SERIAL[0].match(uri) or _LOT_AND_SERIAL[1].match(uri):
        rest = uri[uri.find("/10/") + 4 :]
        uri = uri[: uri.find("/10/")] + rest[rest.find("/") :]
    if any(v.match(uri) is not None for v in _VALID):
        return uri
    return None


# URIs already in the canonical form, which the rules above return unchanged (no '?', which would be cut as a
# query string; ASCII digits only). Checked first because almost every EPC a station writes looks like this.
_ALREADY_CANONICAL = re.compile(
    r"https://id\.gs1\.org/(?:01/[0-9]{14}(?:/(?:21|10)/" + _AI82.replace("\\x3F", "\\x3E") + r"{0,20})?"
    r"|00/[0-9]{18}|414/[0-9]{13}(?:/254/" + _AI82.replace("\\x3F", "\\x3E") + r"{0,20})?|417/[0-9]{13})"
)


@lru_cache(maxsize=65536)
def canonical_gs1_uri(uri: str) -> str | None:
    """The canonical ``https://id.gs1.org/...`` form of a GS1 key URI, or None when ``uri`` is not one.

    Accepts EPC URIs (``urn:epc:id:sgtin:...``), EPC class and pattern URIs, and GS1 Digital Link URIs on any
    domain; keeps only the finest identification level (serial over lot, no CPV, no query string).
    """
    if _ALREADY_CANONICAL.fullmatch(uri) is not None:
        return uri
    p = uri.find(".")
    if p < 0:
        return None
    if uri.startswith("urn:epc:"):
        parts = uri.split(":", 4)
        entry = _EPC.get(":".join(parts[:4]) + ":") if len(parts) == 5 else None
        if entry is None or entry[0].match(uri) is None:
            return None
        return entry[1](uri, p)
    if uri.startswith("http"):
        return _digital_link(uri)
    return None
