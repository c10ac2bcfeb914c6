"""Fabric-style endorsement policies: parse ``AND``/``OR``/``OutOf`` signature policies and evaluate them.

The same string is later handed to ``peer lifecycle chaincode approveformyorg --signature-policy`` on a
real Fabric network, so the grammar is Fabric's: principals are quoted ``'MSP.role'``, AND/OR/OutOf
are case-insensitive, and ``MAJORITY``/``ANY``/``ALL`` stand for the channel's implicit-meta endorsement
policy over its application orgs. Evaluation follows Fabric's ``cauthdsl``: each endorsement satisfies at
most one principal, sub-policies are tried in order and greedily consume the endorsements they use. An
endorsement comes from a peer, so only the ``peer`` and ``member`` roles can be satisfied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn

from ledger.errors import ValidationError

FIELD = "endorsement_policy"
#: Roles an endorsing peer's signature satisfies (a peer is also a member of its org).
ENDORSING_ROLES = ("peer", "member")
_FABRIC_ROLES = ("admin", "client", "orderer")
_IMPLICIT = ("MAJORITY", "ANY", "ALL")
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_.-]*)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<p>[(),]))")


@dataclass(frozen=True)
class Principal:
    """``'MSP.role'``: one endorsement from a peer of ``msp_id``."""

    msp_id: str
    role: str

    def fabric(self) -> str:
        """Fabric's spelling of the principal."""
        return f"'{self.msp_id}.{self.role}'"


@dataclass(frozen=True)
class OutOf:
    """At least ``n`` of ``rules`` (``AND`` is all of them, ``OR`` is one)."""

    n: int
    rules: tuple[Rule, ...]

    def fabric(self) -> str:
        """Fabric's spelling, choosing AND/OR where they say the same thing."""
        inner = ", ".join(r.fabric() for r in self.rules)
        if self.n == len(self.rules) and self.n > 1:
            return f"AND({inner})"
        if self.n == 1 and len(self.rules) > 1:
            return f"OR({inner})"
        return f"OutOf({self.n}, {inner})"


Rule = Principal | OutOf


def _eval(rule: Rule, endorsers: Sequence[str], used: list[bool]) -> bool:
    """Fabric's cauthdsl evaluation: a principal consumes one unused endorsement of its MSP."""
    if isinstance(rule, Principal):
        for i, msp in enumerate(endorsers):
            if not used[i] and msp == rule.msp_id:
                used[i] = True
                return True
        return False
    verified = 0
    for sub in rule.rules:
        trial = used.copy()
        if _eval(sub, endorsers, trial):
            used[:] = trial
            verified += 1
            if verified >= rule.n:
                return True
    return False


class Policy:
    """A parsed endorsement policy; ``satisfied`` is cached because validation calls it per transaction."""

    __slots__ = ("_cached", "rule", "text")

    def __init__(self, text: str, rule: Rule) -> None:
        self.text = text
        self.rule = rule
        self._cached = lru_cache(maxsize=4096)(self._satisfied_sorted)

    def __repr__(self) -> str:
        return f"Policy({self.text!r})"

    def __reduce__(self) -> tuple[type[Policy], tuple[str, Rule]]:
        return (Policy, (self.text, self.rule))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and other.rule == self.rule

    def __hash__(self) -> int:
        return hash(self.rule)

    @property
    def msp_ids(self) -> frozenset[str]:
        """Every MSP the policy names."""
        out: set[str] = set()
        stack: list[Rule] = [self.rule]
        while stack:
            rule = stack.pop()
            if isinstance(rule, Principal):
                out.add(rule.msp_id)
            else:
                stack.extend(rule.rules)
        return frozenset(out)

    def satisfied(self, endorsers: Iterable[str]) -> bool:
        """True when endorsements from these MSP ids (one entry per endorsement) satisfy the policy."""
        return self._cached(tuple(sorted(endorsers)))

    def _satisfied_sorted(self, endorsers: tuple[str, ...]) -> bool:
        return _eval(self.rule, endorsers, [False] * len(endorsers))

    def fabric(self) -> str:
        """The explicit signature-policy string for ``--signature-policy`` on a real Fabric network."""
        return self.rule.fabric()


class _Parser:
    """Recursive descent over Fabric's policy grammar; every error names the policy text and the position."""

    def __init__(self, text: str, msp_ids: Sequence[str]) -> None:
        self.text = text
        self.msp_ids = tuple(msp_ids)
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                stripped = len(text[pos:]) - len(text[pos:].lstrip())
                self.fail(f"unexpected character {text[pos + stripped]!r}", pos + stripped)
            kind = m.lastgroup or ""
            value = m.group(kind)
            self.tokens.append((kind, value, m.start(kind)))
            pos = m.end()
        self.i = 0

    def fail(self, why: str, pos: int | None = None) -> NoReturn:
        where = f" at position {pos}" if pos is not None else ""
        raise ValidationError(f"endorsement policy {self.text!r}: {why}{where}", field=FIELD, value=self.text)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        want = repr(value) if value else {"num": "a number", "str": "a quoted principal"}.get(kind, kind)
        if tok is None:
            self.fail(f"expected {want}, found end of text", len(self.text))
        if tok[0] != kind or (value is not None and tok[1] != value):
            self.fail(f"expected {want}, found {tok[1]!r}", tok[2])
        self.i += 1
        return tok

    def parse(self) -> Rule:
        if not self.tokens:
            self.fail("is empty")
        first = self.tokens[0]
        if first[0] == "word" and first[1].upper() in _IMPLICIT:
            rest = self.tokens[1:]
            if rest and not (len(rest) == 1 and rest[0][1].lower() == "endorsement"):
                self.fail(f"unexpected {rest[0][1]!r} after {first[1]}", rest[0][2])
            return self.implicit(first[1].upper())
        rule = self.rule()
        tok = self.peek()
        if tok is not None:
            self.fail(f"unexpected {tok[1]!r} after the policy", tok[2])
        return rule

    def implicit(self, kind: str) -> Rule:
        if not self.msp_ids:
            self.fail(f"{kind} needs at least one organization")
        principals = tuple(Principal(m, "peer") for m in sorted(self.msp_ids))
        n = {"MAJORITY": len(principals) // 2 + 1, "ANY": 1, "ALL": len(principals)}[kind]
        return OutOf(n, principals)

    def rule(self) -> Rule:
        tok = self.peek()
        if tok is None:
            self.fail("expected a principal or AND/OR/OutOf, found end of text", len(self.text))
        if tok[0] == "str":
            self.i += 1
            return self.principal(tok[1][1:-1], tok[2])
        if tok[0] == "word" and "." in tok[1]:
            self.fail(f"principal {tok[1]} must be quoted, as in '{tok[1]}'", tok[2])
        if tok[0] != "word" or tok[1].lower() not in ("and", "or", "outof"):
            self.fail(f"expected a quoted principal or AND/OR/OutOf, found {tok[1]!r}", tok[2])
        self.i += 1
        op = tok[1].lower()
        self.take("p", "(")
        n_tok: tuple[str, str, int] | None = None
        if op == "outof":
            n_tok = self.take("num")
            self.take("p", ",")
        rules = [self.rule()]
        while (nxt := self.peek()) is not None and nxt[1] == ",":
            self.i += 1
            rules.append(self.rule())
        self.take("p", ")")
        if op == "and":
            return OutOf(len(rules), tuple(rules))
        if op == "or":
            return OutOf(1, tuple(rules))
        assert n_tok is not None
        n = int(n_tok[1])
        if not 1 <= n <= len(rules):
            self.fail(f"OutOf({n}, ...) needs between 1 and {len(rules)} (its number of rules)", n_tok[2])
        return OutOf(n, tuple(rules))

    def principal(self, text: str, pos: int) -> Principal:
        msp, dot, role = text.rpartition(".")
        if not dot or not msp:
            self.fail(f"principal {text!r} is not of the form 'MSP.role'", pos)
        if role in _FABRIC_ROLES:
            self.fail(f"principal {text!r}: role {role!r} does not endorse; use '{msp}.peer' or '{msp}.member'", pos)
        if role not in ENDORSING_ROLES:
            self.fail(f"principal {text!r}: unknown role {role!r} (expected peer or member)", pos)
        if self.msp_ids and msp not in self.msp_ids:
            self.fail(f"principal {text!r} names unknown MSP {msp!r} (known: {', '.join(self.msp_ids)})", pos)
        return Principal(msp, role)


def parse_policy(text: str, msp_ids: Iterable[str]) -> Policy:
    """Parse ``text`` against the channel's application MSP ids; raises ValidationError naming the problem.

    ``MAJORITY``/``ANY``/``ALL`` expand over ``msp_ids``; explicit principals must name one of them.
    """
    ids = tuple(sorted(set(msp_ids)))
    rule = _Parser(text.strip(), ids).parse()
    return Policy(text.strip(), rule)
