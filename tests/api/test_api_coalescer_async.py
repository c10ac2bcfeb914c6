"""AsyncCoalescer: concurrent single items of one key share one batch call, each gets its own answer or error."""

from __future__ import annotations

import asyncio
import threading

from api.epcis.coalesce import AsyncCoalescer, Submit
from ledger.errors import ValidationError


def _submitters(calls: list[list[str]], threads: set[int]) -> tuple[Submit, Submit]:
    def batch(items: list[dict]) -> list[dict]:
        threads.add(threading.get_ident())
        calls.append([i["uid"] for i in items])
        if any(i["uid"] == "bad" for i in items):
            raise ValidationError("scans[1] uid 'bad' is not an absolute URI", value="bad")
        return [{"uid": i["uid"], "n": len(items)} for i in items]

    def single(items: list[dict]) -> list[dict]:
        threads.add(threading.get_ident())
        calls.append([items[0]["uid"]])
        if items[0]["uid"] == "bad":
            raise ValidationError("scan uid 'bad' is not an absolute URI", value="bad")
        return [{"uid": items[0]["uid"], "n": 1}]

    return batch, single


async def _answer(coalescer: AsyncCoalescer, key: str, uid: str, batch: Submit, single: Submit) -> object:
    try:
        return await coalescer.submit(key, {"uid": uid}, batch, single)
    except ValidationError as err:
        return err.message


def test_concurrent_items_share_one_batch_off_the_event_loop_and_a_bad_one_is_isolated() -> None:
    calls: list[list[str]] = []
    threads: set[int] = set()
    batch, single = _submitters(calls, threads)
    coalescer = AsyncCoalescer(window=0.05, max_items=10)

    async def main() -> list[object]:
        return await asyncio.gather(*(_answer(coalescer, "station", u, batch, single) for u in ("a", "bad", "c")))

    assert asyncio.run(main()) == [{"uid": "a", "n": 1}, "scan uid 'bad' is not an absolute URI", {"uid": "c", "n": 1}]
    assert calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert threading.get_ident() not in threads  # the ledger calls ran in a worker thread, not on the loop


def test_groups_are_per_key_and_capped_at_max_items() -> None:
    calls: list[list[str]] = []
    batch, single = _submitters(calls, set())
    coalescer = AsyncCoalescer(window=0.05, max_items=2)

    async def main() -> list[object]:
        jobs = [_answer(coalescer, "s1", u, batch, single) for u in ("a", "b", "c")]
        jobs.append(_answer(coalescer, "s2", "z", batch, single))
        return await asyncio.gather(*jobs)

    answers = asyncio.run(main())
    assert answers == [{"uid": "a", "n": 2}, {"uid": "b", "n": 2}, {"uid": "c", "n": 1}, {"uid": "z", "n": 1}]
    assert sorted(calls) == [["a", "b"], ["c"], ["z"]]


def test_a_cancelled_request_does_not_strand_the_requests_that_joined_its_group() -> None:
    calls: list[list[str]] = []
    batch, single = _submitters(calls, set())
    coalescer = AsyncCoalescer(window=0.05, max_items=10)

    async def main() -> object:
        first = asyncio.create_task(coalescer.submit("s", {"uid": "a"}, batch, single))
        await asyncio.sleep(0)
        second = asyncio.create_task(coalescer.submit("s", {"uid": "b"}, batch, single))
        await asyncio.sleep(0)
        first.cancel()
        return await asyncio.wait_for(second, timeout=5)

    assert asyncio.run(main()) == {"uid": "b", "n": 2}
    assert calls == [["a", "b"]]
