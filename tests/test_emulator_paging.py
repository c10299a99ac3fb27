"""The ``meta`` paging envelope: absolute URLs that keep the filters, PageToken continuation,
PageSize limits (100 on /Recordings and /Compositions, 1000 elsewhere) and stable order."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.test_emulator_support import (
    Api,
    api,
    check_response,
    twvideo_emulator,
    twvideo_emulator_options,
)

__all__ = ["api", "twvideo_emulator", "twvideo_emulator_options"]


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


async def test_walks_recordings_across_pages_keeping_filters(api: Api) -> None:
    seeded = api.emu.seed(rooms=2, recordings_per_room=5)
    room = seeded.rooms[0]
    wanted = set(seeded.recordings[:5])
    reply = await api.get("/v1/Recordings", {"GroupingSid": room, "PageSize": "2"})
    first_meta = reply.body["meta"]
    assert first_meta["page"] == 0 and first_meta["page_size"] == 2
    assert first_meta["previous_page_url"] is None
    assert first_meta["key"] == "recordings"
    assert _query(first_meta["first_page_url"]) == [
        ("GroupingSid", room),
        ("PageSize", "2"),
        ("Page", "0"),
    ]
    assert first_meta["url"] == first_meta["first_page_url"]

    seen: list[str] = []
    dates: list[str] = []
    pages = 0
    url: str | None = "/v1/Recordings"
    params: dict[str, str] | None = {"GroupingSid": room, "PageSize": "2"}
    while url is not None:
        reply = await api.get(url, params)
        check_response("ListRecording", 200, reply.body, origin=api.emu.base_url)
        meta = reply.body["meta"]
        assert meta["page"] == pages
        query = dict(_query(meta["url"]))
        assert query["GroupingSid"] == room and query["PageSize"] == "2"
        if pages:
            assert "PageToken" in query
            assert meta["previous_page_url"] is not None
        seen += [r["sid"] for r in reply.body["recordings"]]
        dates += [r["date_created"] for r in reply.body["recordings"]]
        url, params = meta["next_page_url"], None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == wanted
    assert dates == sorted(dates, reverse=True)


async def test_previous_page_url_leads_back(api: Api) -> None:
    for number in range(5):
        api.emu.state.create_room(unique_name=f"room-{number}")
    first = await api.get("/v1/Rooms", {"PageSize": "2"})
    second = await api.get(first.body["meta"]["next_page_url"])
    back = await api.get(second.body["meta"]["previous_page_url"])
    assert back.body["rooms"] == first.body["rooms"]
    assert back.body["meta"]["page"] == 0
    third = await api.get(second.body["meta"]["next_page_url"])
    assert [r["unique_name"] for r in third.body["rooms"]] == ["room-0"]
    assert third.body["meta"]["next_page_url"] is None


async def test_repeated_filters_and_dates_survive_in_page_urls(api: Api) -> None:
    seeded = api.emu.seed(rooms=1, recordings_per_room=4)
    participant = seeded.participants[0]
    params = [
        ("GroupingSid", seeded.rooms[0]),
        ("GroupingSid", participant),
        ("DateCreatedAfter", "2017-01-01T00:00:01Z"),
        ("PageSize", "1"),
    ]
    reply = await api.get("/v1/Recordings", params)
    recordings = reply.body["recordings"]
    assert recordings[0]["grouping_sids"]["participant_sid"] == participant
    next_url = reply.body["meta"]["next_page_url"]
    assert "DateCreatedAfter=2017-01-01T00%3A00%3A01Z" in next_url
    assert _query(next_url)[:3] == params[:3]
    # Recordings of that participant only: its two tracks were recorded once each.
    rest = await api.get(next_url)
    assert rest.body["meta"]["next_page_url"] is None
    assert rest.body["recordings"][0]["grouping_sids"]["participant_sid"] == participant


async def test_pages_do_not_shift_when_items_are_created_meanwhile(api: Api) -> None:
    state = api.emu.state
    originals = {state.create_room(unique_name=f"old-{n}").sid for n in range(5)}
    reply = await api.get("/v1/Rooms", {"PageSize": "2"})
    seen = [r["sid"] for r in reply.body["rooms"]]
    for number in range(3):
        state.create_room(unique_name=f"new-{number}")
    url = reply.body["meta"]["next_page_url"]
    while url:
        reply = await api.get(url)
        seen += [r["sid"] for r in reply.body["rooms"]]
        url = reply.body["meta"]["next_page_url"]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == originals


async def test_default_page_size_is_50(api: Api) -> None:
    for number in range(51):
        api.emu.state.create_room(unique_name=f"r{number}")
    reply = await api.get("/v1/Rooms")
    assert len(reply.body["rooms"]) == 50
    assert reply.body["meta"]["page_size"] == 50
    rest = await api.get(reply.body["meta"]["next_page_url"])
    assert [r["unique_name"] for r in rest.body["rooms"]] == ["r0"]


async def test_page_without_token_is_an_offset(api: Api) -> None:
    for number in range(5):
        api.emu.state.create_room(unique_name=f"r{number}")
    reply = await api.get("/v1/Rooms", {"PageSize": "2", "Page": "1"})
    assert [r["unique_name"] for r in reply.body["rooms"]] == ["r2", "r1"]


@pytest.mark.parametrize(
    ("path", "size", "ok"),
    [
        ("/v1/Recordings", "100", True),
        ("/v1/Recordings", "101", False),
        ("/v1/Compositions", "100", True),
        ("/v1/Compositions", "101", False),
        ("/v1/Rooms", "1000", True),
        ("/v1/Rooms", "1001", False),
        ("/v1/CompositionHooks", "1000", True),
        ("/v1/Rooms", "0", False),
        ("/v1/Rooms", "ten", False),
    ],
)
async def test_page_size_limits(api: Api, path: str, size: str, ok: bool) -> None:
    reply = await api.get(path, {"PageSize": size})
    if ok:
        assert reply.status == 200
        assert reply.body["meta"]["page_size"] == int(size)
    else:
        assert (reply.status, reply.body["code"]) == (400, 20007)


async def test_room_scoped_recordings_allow_1000(api: Api) -> None:
    room = api.emu.seed(rooms=1).rooms[0]
    reply = await api.get(f"/v1/Rooms/{room}/Recordings", {"PageSize": "1000"})
    assert reply.status == 200


async def test_bad_page_token_is_400(api: Api) -> None:
    reply = await api.get("/v1/Rooms", {"PageToken": "PTnot-a-token"})
    assert reply.status == 400
    assert "PageToken" in reply.body["message"]
