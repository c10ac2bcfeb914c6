"""Byte formats of the embedded ledger: proposal, endorsed response, transaction envelope.

They follow Fabric's structure (a signed proposal; a proposal response carrying the read/write set that every
endorser signs; an envelope signed by the creator) with canonical JSON headers instead of protobuf, and
length-prefixed frames for arguments, payloads and written values, so that large values are carried verbatim and
signed bytes are stored exactly as signed, never re-encoded.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from functools import cached_property

from ledger.embedded.stub import RangeRead, RWSet, Version
from ledger.errors import ParseError

_LEN = struct.Struct(">I")


def frames(*parts: bytes) -> bytes:
    """Concatenate byte strings, each prefixed with its 4-byte big-endian length."""
    return b"".join(_LEN.pack(len(p)) + p for p in parts)


def unframe(data: bytes, count: int | None = None) -> list[bytes]:
    """Split what :func:`frames` joined (``count`` frames, or all), refusing truncated or trailing data."""
    out, pos, size = [], 0, len(data)
    while (count is None and pos < size) or (count is not None and len(out) < count):
        if pos + 4 > size:
            raise ParseError("truncated envelope frame")
        (n,) = _LEN.unpack_from(data, pos)
        pos += 4
        if pos + n > size:
            raise ParseError("truncated envelope frame")
        out.append(data[pos : pos + n])
        pos += n
    if pos != size:
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
        """Canonical bytes, the thing the creator signs: a JSON header, then each argument as its own frame.

        Arguments travel verbatim (a 5,000-scan JSON batch is not escaped a second time inside the header).
        """
        header = _dumps(
            {
                "channel": self.channel,
                "chaincode": self.chaincode,
                "tx_id": self.tx_id,
                "nonce": self.nonce,
                "ts": [self.seconds, self.nanos],
                "creator": {"msp": self.creator_msp, "cert": self.creator_cert.decode()},
                "fn": self.function,
                "argc": len(self.args),
            }
        )
        return frames(header, *(a.encode("utf-8") for a in self.args))

    @classmethod
    def from_bytes(cls, data: bytes) -> Proposal:
        """Parse proposal bytes (raising ParseError on anything malformed)."""
        parts = unframe(data)
        try:
            d = json.loads(parts[0]) if parts else None
            if not isinstance(d, dict) or d["argc"] != len(parts) - 1:
                raise ValueError("argument count does not match the header")
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
                tuple(a.decode("utf-8") for a in parts[1:]),
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ParseError(f"malformed proposal: {exc}") from exc

    @property
    def timestamp_iso(self) -> str:
        """The client timestamp as RFC 3339 UTC with microseconds."""
        from datetime import UTC, datetime

        dt = datetime.fromtimestamp(self.seconds, tz=UTC).replace(microsecond=self.nanos // 1000)
        return dt.isoformat().replace("+00:00", "Z")


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
        """Canonical bytes: a JSON header, then payload, event payload and each written value as raw frames.

        Reads and writes are sorted by key, as Fabric sorts its rwset; values are never escaped or re-encoded
        (a write flagged as delete carries an empty frame).
        """
        rw = self.rwset
        keys = sorted(rw.writes)
        values = [rw.writes[k] for k in keys]
        header = _dumps(
            {
                "proposal_hash": self.proposal_hash,
                "status": self.status,
                "message": self.message,
                "reads": [[k, _ver(rw.reads[k])] for k in sorted(rw.reads)],
                "writes": [[k, v is None] for k, v in zip(keys, values, strict=True)],
                "ranges": [[r.start, r.end, [[k, _ver(v)] for k, v in r.keys]] for r in rw.ranges],
                "event": None if self.event is None else self.event[0],
            }
        )
        event_payload = b"" if self.event is None else self.event[1]
        return frames(header, self.payload, event_payload, *(b"" if v is None else v for v in values))

    @classmethod
    def from_bytes(cls, data: bytes) -> Response:
        """Parse response bytes."""
        parts = unframe(data)
        try:
            d = json.loads(parts[0]) if parts else None
            if not isinstance(d, dict) or len(parts) != 3 + len(d["writes"]):
                raise ValueError("write count does not match the header")
            writes = {w[0]: None if w[1] else value for w, value in zip(d["writes"], parts[3:], strict=True)}
            rw = RWSet(
                reads={k: _unver(v) for k, v in d["reads"]},
                writes=writes,
                ranges=[RangeRead(s, e, [(k, _unver(v)) for k, v in keys]) for s, e, keys in d["ranges"]],
            )
            event = None if d["event"] is None else (str(d["event"]), parts[2])
            return cls(d["proposal_hash"], int(d["status"]), d["message"], parts[1], rw, event)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ParseError(f"malformed proposal response: {exc}") from exc


@dataclass(frozen=True)
class Endorsement:
    """One peer's signature over the response bytes."""

    msp_id: str
    cert: bytes
    signature: bytes


def encode_endorsements(endorsements: tuple[Endorsement, ...] | list[Endorsement]) -> bytes:
    """Canonical bytes of the endorsement list, stored verbatim inside the signed payload.

    Frames of MSP id, certificate and DER signature, three per endorsement.
    """
    return frames(*(part for e in endorsements for part in (e.msp_id.encode(), e.cert, e.signature)))


def decode_endorsements(data: bytes) -> tuple[Endorsement, ...]:
    """Inverse of :func:`encode_endorsements`, refusing anything malformed."""
    parts = unframe(data)
    if len(parts) % 3:
        raise ParseError("malformed endorsements: not a whole number of endorsements")
    try:
        return tuple(Endorsement(parts[i].decode(), parts[i + 1], parts[i + 2]) for i in range(0, len(parts), 3))
    except UnicodeDecodeError as exc:
        raise ParseError(f"malformed endorsements: {exc}") from exc


@dataclass(frozen=True)
class Envelope:
    """A transaction as ordered: proposal, response, endorsements and the creator's signature over them.

    Every part is kept as the exact bytes that were signed, so verification never depends on re-encoding.
    """

    proposal_bytes: bytes
    response_bytes: bytes
    endorsements_bytes: bytes
    signature: bytes

    @cached_property
    def payload(self) -> bytes:
        """The bytes the creator signs (as stored, when parsed from stored bytes)."""
        return frames(self.proposal_bytes, self.response_bytes, self.endorsements_bytes)

    def to_bytes(self) -> bytes:
        """The stored form of the transaction."""
        return frames(self.payload, self.signature)

    @property
    def endorsements(self) -> tuple[Endorsement, ...]:
        """The endorsements, parsed."""
        return decode_endorsements(self.endorsements_bytes)

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse a stored transaction (parts stay raw until used)."""
        payload, sig = unframe(data, 2)
        prop, resp, ends = unframe(payload, 3)
        env = cls(prop, resp, ends, sig)
        env.__dict__["payload"] = payload  # the signed bytes exactly as stored, without framing them again
        return env
