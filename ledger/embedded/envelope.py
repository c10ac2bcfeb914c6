"""Byte formats of the embedded ledger: proposal, endorsed response, transaction envelope.

They follow Fabric's structure (a signed proposal; a proposal response carrying the read/write set that every
endorser signs; an envelope signed by the creator) with canonical JSON instead of protobuf, and length-prefixed
frames so that signed bytes are stored exactly as signed, never re-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass

from ledger.embedded.stub import RangeRead, RWSet, Version
from ledger.errors import ParseError

_LEN = struct.Struct(">I")


def frames(*parts: bytes) -> bytes:
    """Concatenate byte strings, each prefixed with its 4-byte big-endian length."""
    return b"".join(_LEN.pack(len(p)) + p for p in parts)


def unframe(data: bytes, count: int) -> list[bytes]:
    """Split what :func:`frames` joined, refusing truncated or trailing data."""
    out, pos = [], 0
    for _ in range(count):
        if pos + 4 > len(data):
            raise ParseError("truncated envelope frame")
        (n,) = _LEN.unpack_from(data, pos)
        pos += 4
        if pos + n > len(data):
            raise ParseError("truncated envelope frame")
        out.append(data[pos : pos + n])
        pos += n
    if pos != len(data):
        raise ParseError("trailing bytes after envelope frames")
    return out


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_tx_id(nonce: bytes, creator_cert: bytes, msp_id: str) -> str:
    """Fabric's rule: the transaction id is the SHA-256 of the nonce followed by the serialized creator."""
    return hashlib.sha256(nonce + msp_id.encode() + creator_cert).hexdigest()


@dataclass(frozen=True)
class Proposal:
    """What the client asks the endorsers to run."""

    channel: str
    chaincode: str
    tx_id: str
    nonce: str
    seconds: int
    nanos: int
    creator_msp: str
    creator_cert: bytes
    function: str
    args: tuple[str, ...]

    def to_bytes(self) -> bytes:
        """Canonical bytes, the thing the creator signs."""
        return _dumps(
            {
                "channel": self.channel,
                "chaincode": self.chaincode,
                "tx_id": self.tx_id,
                "nonce": self.nonce,
                "ts": [self.seconds, self.nanos],
                "creator": {"msp": self.creator_msp, "cert": self.creator_cert.decode()},
                "fn": self.function,
                "args": list(self.args),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Proposal:
        """Parse proposal bytes (raising ParseError on anything malformed)."""
        try:
            d = json.loads(data)
            return cls(
                d["channel"],
                d["chaincode"],
                d["tx_id"],
                d["nonce"],
                int(d["ts"][0]),
                int(d["ts"][1]),
                d["creator"]["msp"],
                d["creator"]["cert"].encode(),
                d["fn"],
                tuple(d["args"]),
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ParseError(f"malformed proposal: {exc}") from exc

    @property
    def timestamp_iso(self) -> str:
        """The client timestamp as RFC 3339 UTC with microseconds."""
        from datetime import UTC, datetime

        dt = datetime.fromtimestamp(self.seconds, tz=UTC).replace(microsecond=self.nanos // 1000)
        return dt.isoformat().replace("+00:00", "Z")


def _enc_value(v: bytes | None) -> list[object]:
    if v is None:
        return [None, 0]
    try:
        return [v.decode("utf-8"), 0]
    except UnicodeDecodeError:
        return [base64.b64encode(v).decode(), 1]


def _dec_value(text: str | None, is_b64: int) -> bytes | None:
    if text is None:
        return None
    return base64.b64decode(text) if is_b64 else text.encode("utf-8")


def _ver(v: Version | None) -> list[int] | None:
    return None if v is None else [v[0], v[1]]


def _unver(v: list[int] | None) -> Version | None:
    return None if v is None else (int(v[0]), int(v[1]))


@dataclass(frozen=True)
class Response:
    """The proposal response every endorser signs: the chaincode's answer and the read/write set."""

    proposal_hash: str
    status: int
    message: str
    payload: bytes
    rwset: RWSet
    event: tuple[str, bytes] | None

    def to_bytes(self) -> bytes:
        """Canonical bytes (writes and reads sorted by key, as Fabric sorts its rwset)."""
        rw = self.rwset
        return _dumps(
            {
                "proposal_hash": self.proposal_hash,
                "status": self.status,
                "message": self.message,
                "payload": _enc_value(self.payload),
                "reads": [[k, _ver(rw.reads[k])] for k in sorted(rw.reads)],
                "writes": [[k, *_enc_value(rw.writes[k])] for k in sorted(rw.writes)],
                "ranges": [[r.start, r.end, [[k, _ver(v)] for k, v in r.keys]] for r in rw.ranges],
                "event": None if self.event is None else [self.event[0], *_enc_value(self.event[1])],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Response:
        """Parse response bytes."""
        try:
            d = json.loads(data)
            rw = RWSet(
                reads={k: _unver(v) for k, v in d["reads"]},
                writes={w[0]: _dec_value(w[1], w[2]) for w in d["writes"]},
                ranges=[RangeRead(s, e, [(k, _unver(v)) for k, v in keys]) for s, e, keys in d["ranges"]],
            )
            ev = d["event"]
            event = None if ev is None else (ev[0], _dec_value(ev[1], ev[2]) or b"")
            return cls(
                d["proposal_hash"],
                int(d["status"]),
                d["message"],
                _dec_value(*d["payload"]) or b"",
                rw,
                event,
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ParseError(f"malformed proposal response: {exc}") from exc


@dataclass(frozen=True)
class Endorsement:
    """One peer's signature over the response bytes."""

    msp_id: str
    cert: bytes
    signature: bytes


def encode_endorsements(endorsements: tuple[Endorsement, ...] | list[Endorsement]) -> bytes:
    """Canonical bytes of the endorsement list (stored verbatim inside the signed payload)."""
    return _dumps(
        [
            {"msp": e.msp_id, "cert": e.cert.decode(), "sig": base64.b64encode(e.signature).decode()}
            for e in endorsements
        ]
    )


@dataclass(frozen=True)
class Envelope:
    """A transaction as ordered: proposal, response, endorsements and the creator's signature over them.

    Every part is kept as the exact bytes that were signed, so verification never depends on re-encoding.
    """

    proposal_bytes: bytes
    response_bytes: bytes
    endorsements_bytes: bytes
    signature: bytes

    @property
    def payload(self) -> bytes:
        """The bytes the creator signs."""
        return frames(self.proposal_bytes, self.response_bytes, self.endorsements_bytes)

    def to_bytes(self) -> bytes:
        """The stored form of the transaction."""
        return frames(self.payload, self.signature)

    @property
    def endorsements(self) -> tuple[Endorsement, ...]:
        """The endorsements, parsed."""
        try:
            items = json.loads(self.endorsements_bytes)
            return tuple(Endorsement(e["msp"], e["cert"].encode(), base64.b64decode(e["sig"])) for e in items)
        except (ValueError, KeyError, TypeError) as exc:
            raise ParseError(f"malformed endorsements: {exc}") from exc

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse a stored transaction (parts stay raw until used)."""
        payload, sig = unframe(data, 2)
        prop, resp, ends = unframe(payload, 3)
        return cls(prop, resp, ends, sig)
