"""Station scans: one EPCIS ObjectEvent read per record, idempotent on the canonical event hash.

Only a station may record scans, and only as itself: the station id must be the one in its certificate, and
the site and read point come from the station's ledger record. Station agents replay their outbox after an
outage, so the same event (same hash) may arrive twice, in one batch or across transactions: it is stored
once and the first record is returned. Suspicious reads are stored with anomaly flags (see
:mod:`chaincode.anomalies`), never dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chaincode.anomalies import Point, Sighting, scan_flags
from chaincode.contracts.parts import MAX_BATCH, registered_station, station_key
from chaincode.errors import submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import ANOMALY, LAST_SEEN, PART, SCAN, SITE, Tx, answer, canonical_bytes
from chaincode.validate import (
    EVENT_HASH_RE,
    MAX_ID,
    MAX_UID,
    URI_RE,
    Fields,
    iso_z,
    parse_iso_z,
    parse_list,
    parse_object,
)
from ledger.errors import Forbidden, ValidationError
from ledger.identity.attrs import Role
from scanner.epcis import cbv

_SCAN_FIELDS = frozenset({"uid", "station_id", "read_point", "biz_step", "disposition", "event_time", "event_hash"})
_OPTIONAL_LIMITS = (("read_point", 512), ("biz_step", 256), ("disposition", 256))
#: (uid, station_id, read_point, biz_step, disposition, event_time, event_hash)
ScanFields = tuple[str, str, str | None, str | None, str | None, dt.datetime, str]

_EVENT_HASH_KEY = ',"event_hash":'
_NEW_EVENT_HASH_KEY = ',"duplicate":false,"event_hash":'


def _text_ok(value: object, max_len: int) -> bool:
    return type(value) is str and 0 < len(value) <= max_len and "\x00" not in value and bool(value.strip())


def quick_scan_fields(item: Any) -> ScanFields | None:
    """The fields of a well-formed scan item, or None to send it through :func:`scan_fields`.

    Reading 5,000 items through :class:`Fields` (which keeps the context to name any error) is a tenth of a
    batch. This accepts only items that :func:`scan_fields` accepts, with the same values (a property test
    checks it), and returns None for anything else, so errors are still reported by the one careful path.
    """
    if type(item) is not dict or not item.keys() <= _SCAN_FIELDS:
        return None
    uid, station_id, event_hash, when = (
        item.get("uid"),
        item.get("station_id"),
        item.get("event_hash"),
        item.get("event_time"),
    )
    if not (type(uid) is str and len(uid) <= MAX_UID and URI_RE.match(uid) and uid.isprintable()):
        return None
    if not (type(station_id) is str and 0 < len(station_id) <= MAX_ID and station_id.isprintable()):
        return None
    if station_id != station_id.strip() or not (type(event_hash) is str and EVENT_HASH_RE.match(event_hash)):
        return None
    optional = []
    for name, limit in _OPTIONAL_LIMITS:
        value = item.get(name)
        if value is not None and not _text_ok(value, limit):
            return None
        optional.append(value)
    if not _text_ok(when, 40):
        return None
    try:
        moment = dt.datetime.fromisoformat(when)  # type: ignore[arg-type]
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return uid, station_id, optional[0], optional[1], optional[2], moment, event_hash


def scan_fields(item: Any, what: str) -> ScanFields:
    """The fields of one scan item, refusing anything malformed with a message naming the item and field."""
    f = Fields(item, what)
    uid = f.uri("uid")
    station_id = f.ident("station_id")
    read_point = f.opt_text("read_point", max_len=512)
    step = f.opt_text("biz_step", max_len=256)
    disposition = f.opt_text("disposition", max_len=256)
    event_time = f.timestamp("event_time")
    event_hash = f.event_hash("event_hash")
    f.done()
    return uid, station_id, read_point, step, disposition, event_time, event_hash


class _Recorder:
    """Records a batch of scans from one station with per-batch caches of parts and last sightings."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.station: dict[str, Any] = {}
        self.point = Point(0.0, 0.0)
        self.parts: dict[str, dict[str, Any] | None] = {}
        self.last: dict[str, dict[str, Any] | None] = {}
        self.last_keys: dict[str, str] = {}
        self.done: dict[tuple[str, str], dict[str, Any]] = {}
        self.stored: dict[str, dict[str, Any] | None] = {}
        self._scan_keys: list[str] = []
        self._uids: list[str] = []
        self.new = 0
        self.flagged = 0

    def prefetch_keys(self, fields: list[ScanFields | None]) -> list[str]:
        """The keys :meth:`absorb` needs read: the stored scan, part and last sighting of every well-formed item.

        Items whose fields are None go through the careful path later and read on their own.
        """
        tx = self.tx
        self._scan_keys = [tx.key(SCAN, f[0], f[6]) for f in fields if f is not None]
        self._uids = []
        for f in fields:
            if f is not None and f[0] not in self.last_keys:
                self.last_keys[f[0]] = tx.key(LAST_SEEN, f[0])
                self._uids.append(f[0])
        uids = self._uids
        return self._scan_keys + [tx.key(PART, uid) for uid in uids] + [self.last_keys[uid] for uid in uids]

    def absorb(self, docs: list[dict[str, Any] | None]) -> None:
        """Keep the documents read for :meth:`prefetch_keys`, in its order."""
        keys, uids = self._scan_keys, self._uids
        n, m = len(keys), len(uids)
        self.stored.update(zip(keys, docs[:n], strict=True))
        self.parts.update(zip(uids, docs[n : n + m], strict=True))
        self.last.update(zip(uids, docs[n + m :], strict=True))

    async def one(self, item: Any, what: str, fields: ScanFields | None = None) -> str:
        """Record one read; returns the answer text for it (the stored scan plus ``duplicate``)."""
        tx, station = self.tx, self.station
        fields = fields or quick_scan_fields(item) or scan_fields(item, what)
        uid, station_id, read_point, step, disposition, event_time, event_hash = fields
        if station_id != station["station_id"]:
            raise Forbidden(
                f"station {station['station_id']} may not record scans as station {station_id}",
                field="station_id",
                value=station_id,
            )
        if read_point is not None and read_point != station["read_point"]:
            raise ValidationError(
                f"{what} read_point {read_point!r} is not the read point {station['read_point']!r} "
                f"registered for station {station_id}",
                field="read_point",
                value=read_point,
            )
        scan_key = tx.key(SCAN, uid, event_hash)
        first = self.done.get((uid, event_hash))
        if first is None:
            first = self.stored[scan_key] if scan_key in self.stored else await tx.get(scan_key)
        if first is not None:
            return answer({**first, "duplicate": True})
        if uid not in self.parts:
            self.parts[uid] = await tx.get(tx.key(PART, uid))
            self.last_keys[uid] = tx.key(LAST_SEEN, uid)
            self.last[uid] = await tx.get(self.last_keys[uid])
        last = self.last[uid]
        here = Sighting(tx.msp, station["site_id"], self.point, event_time)
        prev = (
            Sighting(
                last["msp_id"],
                last["site_id"],
                Point(last["lat"], last["lon"]),
                parse_iso_z(last["event_time"]),
            )
            if last
            else None
        )
        flags = scan_flags(uid, self.parts[uid], here, prev, tx.now)
        when = iso_z(event_time)
        doc = {
            "doc_type": "scan",
            "uid": uid,
            "event_hash": event_hash,
            "msp_id": tx.msp,
            "station_id": station_id,
            "site_id": station["site_id"],
            "read_point": station["read_point"],
            "biz_step": cbv.compact(cbv.BIZ_STEP, cbv.biz_step(step)) if step else station["default_biz_step"],
            "disposition": cbv.compact(cbv.DISPOSITION, cbv.disposition(disposition)) if disposition else None,
            "event_time": when,
            "recorded_at": tx.now_iso,
            "tx_id": tx.tx_id,
            "anomalies": list(flags),
            "anomaly_details": flags,
        }
        raw = canonical_bytes(doc)
        await tx.stub.put_state(scan_key, raw)
        if flags:
            self.flagged += 1
            anomaly = {
                "doc_type": "anomaly",
                "uid": uid,
                "event_hash": event_hash,
                "msp_id": tx.msp,
                "station_id": station_id,
                "site_id": station["site_id"],
                "event_time": when,
                "anomalies": list(flags),
                "anomaly_details": flags,
                "detected_at": tx.now_iso,
            }
            await tx.put(tx.key(ANOMALY, uid, event_hash), anomaly)
        if last is None or parse_iso_z(last["event_time"]) <= event_time:
            seen = {
                "doc_type": "lastseen",
                "uid": uid,
                "msp_id": tx.msp,
                "site_id": station["site_id"],
                "station_id": station_id,
                "lat": self.point.lat,
                "lon": self.point.lon,
                "event_time": when,
                "event_hash": event_hash,
            }
            self.last[uid] = seen
            await tx.put(self.last_keys[uid], seen)
        self.done[(uid, event_hash)] = doc
        self.new += 1
        # The answer is the stored document plus "duplicate". Canonical JSON sorts keys and escapes quotes
        # inside values, so the first ',"event_hash":' is that key, and "duplicate" sorts right before it:
        # splicing it in gives the bytes encoding {**doc, "duplicate": False} would, without encoding the
        # document a second time (a tenth of a 500-scan batch).
        return raw.decode("utf-8").replace(_EVENT_HASH_KEY, _NEW_EVENT_HASH_KEY, 1)


async def _recorder(tx: Tx, items: list[Any]) -> tuple[_Recorder, list[ScanFields | None]]:
    """A recorder for the calling station with everything the items need read, and each item's fields.

    The station record is read in the same batch as the items' scans, parts and last sightings (one round
    trip to a Fabric peer instead of two); only the site, named by the station record, needs a second. The
    caller has checked the station role.
    """
    rec = _Recorder(tx)
    fields = [quick_scan_fields(item) for item in items]
    docs = await tx.get_many([station_key(tx), *rec.prefetch_keys(fields)])
    station = rec.station = registered_station(tx, docs[0])
    site = await tx.must_get(tx.key(SITE, tx.msp, station["site_id"]), f"site {station['site_id']} of {tx.msp}")
    rec.point = Point(site["lat"], site["lon"])
    rec.absorb(docs[1:])
    return rec, fields


class ScanTransactions:
    """RecordScan and RecordScans."""

    @submit
    async def RecordScan(self, ctx: TransactionContextInterface, scan_json: str) -> str:
        """A station records one read; returns the stored scan with its flags (the first one for a replay)."""
        tx = Tx(ctx)
        tx.require("record scans", Role.STATION)
        item = parse_object(scan_json, "scan")
        rec, (fields,) = await _recorder(tx, [item])
        text = await rec.one(item, "scan", fields)
        tx.emit("ScansRecorded", {"station_id": rec.station["station_id"], "new": rec.new, "flagged": rec.flagged})
        return text

    @submit
    async def RecordScans(self, ctx: TransactionContextInterface, scans_json: str) -> str:
        """A station records up to 5000 reads in one transaction; returns every stored scan in input order."""
        tx = Tx(ctx)
        tx.require("record scans", Role.STATION)
        items = parse_list(scans_json, "scans", max_items=MAX_BATCH)
        rec, fields = await _recorder(tx, items)
        texts = [await rec.one(item, f"scans[{i}]", f) for i, (item, f) in enumerate(zip(items, fields, strict=True))]
        tx.emit("ScansRecorded", {"station_id": rec.station["station_id"], "new": rec.new, "flagged": rec.flagged})
        return "[" + ",".join(texts) + "]"
