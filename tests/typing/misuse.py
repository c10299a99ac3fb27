"""Deliberate misuses of the public API: every line marked ``# E: code`` must be reported by
``mypy --strict`` with that error code (tests/test_typing_misuse.py checks it). Never run."""

from __future__ import annotations

from twvideo_async import Timeout, VideoClient


async def misuse(client: VideoClient) -> None:
    await client.rooms.fetch("RM", timeout="5")  # E: arg-type
    await client.rooms.fetch("RM", tiemout=5)  # E: call-arg
    await client.rooms.fetch("RM", max_retries=None, extra_headers={"a": 1})  # E: dict-item
    await client.recordings.download("RT", "out/", bogus_option=1)  # E: call-arg
    await client.recordings.download("RT", "out/", max_attempts="3")  # E: arg-type
    await client.recordings.download_many(["RT"], "out/", concurrency="8")  # E: arg-type
    await client.recordings.download_many(["RT"], "out/", concurency=8)  # E: call-arg
    client.compositions.stream("CJ", ttl="600")  # E: arg-type
    client.compositions.stream("CJ", chunk_size=5)  # E: call-arg
    await client.rooms.with_raw_response.fecth("RM")  # E: attr-defined
    await client.recordings.with_raw_response.download("RT", "out/")  # E: attr-defined
    client.rooms.with_raw_response.list()  # E: attr-defined
    await client.compositions.with_raw_response.wait_for("CJ")  # E: attr-defined
    await client.composition_hooks.with_raw_response.modify("HK")  # E: attr-defined
    await client.composition_hooks.modify("HK", enabeld=False)  # E: call-arg
    await client.composition_hooks.modify("HK", enabled="no")  # E: arg-type
    await client.composition_hooks.modify("HK", trim=False, tiemout=5)  # E: call-arg
    await client.compositions.wait_for("CJ", max_retries="2")  # E: arg-type
    await client.rooms.mute_all("RM", extra_header={})  # E: call-arg
    raw = await client.rooms.with_raw_response.fetch("RM")
    room = raw.parse()
    _ = room.no_such_field  # E: attr-defined
    await client.rooms.complete(room.sid, timeout=Timeout(total=1), limit=3)  # E: call-arg
    await client.rooms.participants("RM").disconnect("alice", max_retries="2")  # E: arg-type
    client.rooms.list(page_size="50")  # E: arg-type
    client.insights.rooms.with_raw_response.list()  # E: attr-defined
    await client.insights.rooms.fetch("RM", tiemout=5)  # E: call-arg
    client.insights.rooms.list(created_after="2026-01-01")  # E: arg-type
    summary = await client.insights.rooms.with_raw_response.fetch("RM")
    _ = summary.parse().sid  # E: attr-defined
