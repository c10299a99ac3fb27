"""The SDK end to end against the bundled emulator (through the pytest plugin's fixtures)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from twvideo_async import VideoClient, errors, rules
from twvideo_async.testing import Emulator


async def test_room_lifecycle(twvideo_client: VideoClient) -> None:
    room = await twvideo_client.rooms.create(unique_name="standup", max_participants=10)
    assert room.sid and room.status == "in-progress"
    assert (await twvideo_client.rooms.fetch("standup")).sid == room.sid
    with pytest.raises(errors.BadRequestError) as info:
        await twvideo_client.rooms.create(unique_name="standup")
    assert info.value.code == 53113
    in_progress = [r.sid async for r in twvideo_client.rooms.list()]
    assert room.sid in in_progress
    ended = await twvideo_client.rooms.complete(room.sid)
    assert ended.status == "completed"
    assert room.sid not in [r.sid async for r in twvideo_client.rooms.list()]
    with pytest.raises(errors.NotFoundError):
        await twvideo_client.rooms.fetch("standup")  # completed rooms: by SID only
    with pytest.raises(errors.BadRequestError) as info:
        await twvideo_client.rooms.complete(room.sid)
    assert info.value.code == 53112


async def test_participants_rules_and_recordings(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    room = await twvideo_client.rooms.create(unique_name="class")
    assert room.sid is not None
    twvideo_emulator.state.connect_participant(room.sid, "alice")
    twvideo_emulator.state.connect_participant(room.sid, "bob")
    people = twvideo_client.rooms.participants(room.sid)
    names = sorted([p.identity or "" async for p in people.list()])
    assert names == ["alice", "bob"]
    tracks = await people.list_published_tracks("alice").to_list()
    assert tracks
    rules_now = await people.subscribe_none("bob")
    assert [r.type for r in rules_now.rules or ()] == ["exclude"]
    assert await twvideo_client.rooms.mute_all(room.sid) == 2
    await twvideo_client.rooms.start_recording(room.sid)
    recs = [r async for r in twvideo_client.recordings.list(grouping_sid=[room.sid])]
    assert recs and all(r.grouping_sids and r.grouping_sids["room_sid"] == room.sid for r in recs)
    with pytest.raises(errors.InvalidRequestError):
        await people.update_subscribe_rules("bob", [])  # refused before sending
    kicked = await people.disconnect("alice")
    assert kicked.status == "disconnected"


async def test_compositions_and_hooks(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    seeded = twvideo_emulator.seed(rooms=1, recordings_per_room=2, compositions_per_room=0)
    comp = await twvideo_client.compositions.create(
        room_sid=seeded.rooms[0], audio_sources=["*"], video_layout=rules.grid(), format="mp4"
    )
    assert comp.sid is not None
    done = await twvideo_client.compositions.wait_for(comp.sid, timeout=10, poll_interval=0.01)
    assert done.status == "completed"

    hook = await twvideo_client.composition_hooks.create(
        friendly_name="all", audio_sources=["*"], format="mp4", trim=False
    )
    assert hook.sid is not None
    changed = await twvideo_client.composition_hooks.modify(hook.sid, enabled=False)
    assert changed.enabled is False
    assert changed.audio_sources == ("*",) and changed.trim is False  # kept, not reset
    assert changed.format == "mp4"
    replaced = await twvideo_client.composition_hooks.update(
        hook.sid, friendly_name="all", audio_sources=["x*"]
    )
    assert replaced.trim is True and replaced.format == "webm"  # update resets omitted fields


async def test_a_rate_limited_account_sees_no_errors(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    twvideo_emulator.seed(rooms=1)
    # Virtual time that advances 1/120 s per request the limiter sees (arrivals 20% faster than
    # the limit): the limit is hit, and lifted again, the same way however slowly this machine
    # runs the requests (a real clock refills the bucket while a loaded machine catches up).
    ticks = itertools.count()
    rule = twvideo_emulator.faults.rate_limit(
        rps=100, burst=10, retry_after=0.05, clock=lambda: next(ticks) / 120
    )
    results = await asyncio.gather(
        *(twvideo_client.rooms.list(status="completed", limit=1).first_page() for _ in range(150)),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert rule.rejected > 0  # the limit really was hit


async def test_list_pages_through_the_emulator(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    seeded = twvideo_emulator.seed(rooms=3, recordings_per_room=5)
    listed = [r.sid or "" async for r in twvideo_client.recordings.list(page_size=2)]
    assert sorted(listed) == sorted(seeded.recordings)
