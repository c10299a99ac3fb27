"""Video Insights summaries: the client against the emulator, the second origin (edge/region,
explicit URL, copies), the paginator's origin check on that origin, and typed raw responses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, serve
from twvideo_async import VideoClient, errors
from twvideo_async.models import (
    ParticipantSummary,
    RoomSummary,
    SummaryCodec,
    SummaryRoomStatus,
    SummaryRoomType,
)
from twvideo_async.testing import Emulator, EmulatorClock

ROOM = "RM" + "a" * 32
PART = "PA" + "b" * 32


async def _ended_room(client: VideoClient, emu: Emulator, name: str, **kw: Any) -> str:
    room = await client.rooms.create(unique_name=name, **kw)
    assert room.sid
    emu.state.connect_participant(room.sid, "alice")
    emu.state.connect_participant(room.sid, "bob", tracks=[("audio", "mic")])
    return room.sid


async def test_summaries_appear_once_a_room_completes(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    sid = await _ended_room(twvideo_client, twvideo_emulator, "standup")
    with pytest.raises(errors.NotFoundError):
        await twvideo_client.insights.rooms.fetch(sid)
    assert [s.room_sid async for s in twvideo_client.insights.rooms.list()] == []
    await twvideo_client.rooms.complete(sid)

    summary = await twvideo_client.insights.rooms.fetch(sid)
    assert isinstance(summary, RoomSummary)
    assert summary.room_sid == sid and summary.room_name == "standup"
    assert summary.room_status is SummaryRoomStatus.COMPLETED
    assert summary.room_type is SummaryRoomType.GROUP
    assert summary.unique_participants == 2 and summary.concurrent_participants == 2
    assert set(summary.codecs or ()) == {SummaryCodec.VP8, SummaryCodec.OPUS}
    assert summary.links == {"participants": f"{summary.url}/Participants"}

    people = twvideo_client.insights.rooms.participants(sid)
    listed = await people.list().to_list()
    assert sorted(p.participant_identity or "" for p in listed) == ["alice", "bob"]
    bob = next(p for p in listed if p.participant_identity == "bob")
    assert bob.codecs == (SummaryCodec.OPUS,)
    again = await people.fetch(bob.participant_sid or "")
    assert isinstance(again, ParticipantSummary) and again == bob
    with pytest.raises(errors.NotFoundError):
        await people.fetch(PART)
    assert [s.room_sid async for s in twvideo_client.insights.rooms.list()] == [sid]


async def test_list_filters(twvideo_client: VideoClient, twvideo_emulator: Emulator) -> None:
    vp8 = await _ended_room(twvideo_client, twvideo_emulator, "one")
    h264 = await _ended_room(twvideo_client, twvideo_emulator, "two", video_codecs=["H264"])
    small = await _ended_room(twvideo_client, twvideo_emulator, "three", type="group-small")
    for sid in (vp8, h264, small):
        await twvideo_client.rooms.complete(sid)
    rooms = twvideo_client.insights.rooms

    async def sids(**kw: Any) -> set[str | None]:
        return {s.room_sid async for s in rooms.list(**kw)}

    assert await sids() == {vp8, h264, small}
    assert await sids(codec="H264") == {h264}
    assert await sids(codec=["H264", SummaryCodec.VP8]) == {vp8, h264, small}
    assert await sids(room_type=SummaryRoomType.GROUP_SMALL) == {small}
    assert await sids(room_type=["group", "group_small"], codec="VP8") == {vp8, small}
    assert await sids(room_name="two") == {h264}
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert await sids(created_after=future) == set()
    assert await sids(created_before=future) == {vp8, h264, small}
    with pytest.raises(errors.BadRequestError):
        await rooms.list(codec="AV1").first_page()
    page = await rooms.list(page_size=2)
    assert len(page.items) == 2 and page.has_next_page()
    assert len([s async for s in rooms.list(page_size=1)]) == 3


START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.twvideo_emulator(clock=EmulatorClock(START, frozen=True))
async def test_without_a_created_filter_only_the_last_24_hours(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    old = await _ended_room(twvideo_client, twvideo_emulator, "old")
    await twvideo_client.rooms.complete(old)
    twvideo_emulator.clock.advance(25 * 3600)
    new = await _ended_room(twvideo_client, twvideo_emulator, "new")
    await twvideo_client.rooms.complete(new)
    rooms = twvideo_client.insights.rooms
    assert [s.room_sid async for s in rooms.list()] == [new]
    assert {s.room_sid async for s in rooms.list(created_after=START)} == {old, new}
    assert (await rooms.fetch(old)).room_sid == old  # fetch is not limited to 24 h


async def test_raw_response_and_bad_sids_before_sending(twvideo_client: VideoClient) -> None:
    with pytest.raises(errors.InvalidRequestError):
        await twvideo_client.insights.rooms.fetch("standup")
    with pytest.raises(errors.InvalidRequestError):
        await twvideo_client.insights.rooms.participants("standup").fetch(PART)
    with pytest.raises(errors.InvalidRequestError):
        await twvideo_client.insights.rooms.participants(ROOM).fetch("alice")
    with pytest.raises(errors.InvalidRequestError):
        twvideo_client.insights.rooms.list(room_nam="x")  # type: ignore[call-arg]
    with pytest.raises(errors.NotFoundError) as info:
        await twvideo_client.insights.rooms.with_raw_response.fetch(ROOM)
    assert info.value.path == "/v1/Video/Rooms/{RoomSid}"


async def test_raw_response_wraps_the_summary(
    twvideo_client: VideoClient, twvideo_emulator: Emulator
) -> None:
    sid = await _ended_room(twvideo_client, twvideo_emulator, "raw")
    await twvideo_client.rooms.complete(sid)
    raw = await twvideo_client.insights.rooms.with_raw_response.fetch(sid)
    assert raw.status == 200 and raw.request_id and raw.parse().room_sid == sid
    pa = next(iter(twvideo_emulator.state.rooms[sid].participants))
    raw_p = await twvideo_client.insights.rooms.participants(sid).with_raw_response.fetch(pa)
    assert raw_p.parse().participant_sid == pa


# -- the second origin -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "https://insights.twilio.com"),
        ({"edge": "dublin"}, "https://insights.dublin.us1.twilio.com"),
        ({"edge": "sydney", "region": "au1"}, "https://insights.sydney.au1.twilio.com"),
        (
            {"base_url": "https://video.frankfurt.de1.twilio.com"},
            "https://insights.frankfurt.de1.twilio.com",
        ),
        ({"base_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        ({"base_url": "https://proxy.example.com/twilio"}, "https://proxy.example.com/twilio"),
        (
            {"insights_base_url": "https://insights.twilio.com", "edge": "tokyo"},
            "https://insights.tokyo.us1.twilio.com",
        ),
        (
            {"base_url": "http://127.0.0.1:1", "insights_base_url": "http://127.0.0.1:2/"},
            "http://127.0.0.1:2",
        ),
    ],
)
def test_insights_origin(kwargs: dict[str, Any], expected: str) -> None:
    client = make_client(kwargs.pop("base_url", None), **kwargs)
    assert client.insights_base_url == expected
    assert client.insights.rooms._requester.origin == expected
    copy = client.with_options(timeout=3)
    assert copy.insights.rooms._requester.origin == expected
    assert copy.insights.rooms._requester.transport is client._requester.transport
    assert copy.insights.rooms._requester.limits is client._requester.limits
    assert copy.insights.rooms._requester.timeout.total == 3


def test_a_bad_insights_base_url_is_refused() -> None:
    with pytest.raises(errors.ConfigurationError):
        make_client("http://127.0.0.1:1", insights_base_url="ftp://insights")
    with pytest.raises(errors.ConfigurationError):
        make_client("http://127.0.0.1:1", insights_base_url="https://u:p@insights.twilio.com")


async def test_insights_goes_to_its_own_origin_with_credentials_and_pages_stay_there() -> None:
    seen: dict[str, list[str]] = {"video": [], "insights": []}

    def page(request: web.Request, room: str, next_url: str | None) -> web.Response:
        body = {
            "rooms": [{"room_sid": room}],
            "meta": {"key": "rooms", "next_page_url": next_url},
        }
        return web.json_response(body)

    async def video(request: web.Request) -> web.Response:
        seen["video"].append(request.path_qs)
        return web.json_response({"rooms": [], "meta": {"key": "rooms"}})

    async with serve([("GET", "/v1/Video/Rooms", video)]) as video_server:
        video_url = base_url(video_server)

        async def insights(request: web.Request) -> web.Response:
            seen["insights"].append(request.path_qs)
            assert request.headers["Authorization"].startswith("Basic ")
            here = f"http://127.0.0.1:{request.url.port}"
            token = request.query.get("PageToken")
            if token is None:
                return page(request, ROOM, f"{here}/v1/Video/Rooms?PageToken=two")
            if token == "two":
                # Another room: a page repeating the previous one would be refused as a loop.
                other = "RM" + "f" * 32
                return page(request, other, f"{video_url}/v1/Video/Rooms?PageToken=three")
            raise AssertionError("unreachable")

        async with serve([("GET", "/v1/Video/Rooms", insights)]) as insights_server:
            client = make_client(video_url, insights_base_url=base_url(insights_server))
            async with client:
                pages = client.insights.rooms.list().pages()
                assert len((await pages.__anext__()).items) == 1
                assert len((await pages.__anext__()).items) == 1
                # The next page is on the Video origin: not the Insights origin, refused.
                with pytest.raises(errors.APIResponseValidationError, match="not the API origin"):
                    await pages.__anext__()
                with pytest.raises(errors.InvalidRequestError):
                    client.insights.rooms.list(page_url=f"{video_url}/v1/Video/Rooms")
    assert seen["video"] == []
    assert len(seen["insights"]) == 2
