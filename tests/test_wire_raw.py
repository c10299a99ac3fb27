"""The fast path's lazy ``raw``, list envelopes, the cases it hands to cattrs, and the same over
a loopback server."""

from __future__ import annotations

import copy
import json
import pickle
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from aiohttp import web

from tests.helpers import base_url, make_client, serve
from tests.test_wire import response
from twvideo_async import errors
from twvideo_async._decode import wire
from twvideo_async._decode.parsers import ListParser, Parser
from twvideo_async.models import Model, Recording, Room, RoomStatus
from twvideo_async.models._raw import LazyRaw

ITEM = {
    "sid": "RT" + "a" * 32,
    "status": "completed",
    "codec": "opus",
    "links": {"media": "https://video.twilio.com/v1/Recordings/RTa/Media"},
    "brand_new_field": {"nested": [1, 2.5, None]},
}


def page_body(items: list[dict[str, Any]], key: str = "recordings", **meta: Any) -> bytes:
    return json.dumps({key: items, "meta": {"key": key, "next_page_url": None, **meta}}).encode()


def decode_page(items: list[dict[str, Any]]) -> list[Recording]:
    decoded = wire.decode_page(page_body(items), Recording)
    assert decoded is not None
    return decoded[0]


# -- raw ---------------------------------------------------------------------------------------


def test_raw_is_a_read_only_mapping_of_the_item() -> None:
    rec = decode_page([{"sid": "RT0"}, ITEM])[1]
    raw = rec.raw
    assert isinstance(raw, Mapping) and isinstance(raw, LazyRaw)
    assert raw == ITEM and raw == ITEM and raw == MappingProxyType(ITEM)
    assert dict(raw) == ITEM and raw != {"sid": "RT0"}
    assert len(raw) == len(ITEM) and list(raw) == list(ITEM) and "codec" in raw
    assert list(reversed(raw)) == list(reversed(ITEM))
    assert raw["brand_new_field"] == {"nested": [1, 2.5, None]}
    assert raw.get("missing") is None and dict(raw.items()) == ITEM
    with pytest.raises(TypeError):
        raw["sid"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        del raw["sid"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        hash(raw)
    copied = raw.copy()
    copied["sid"] = "changed"
    assert raw["sid"] == ITEM["sid"]
    assert raw | {"sid": "x"} == {**ITEM, "sid": "x"} and {"a": 1} | raw == {"a": 1, **ITEM}
    assert repr(raw).startswith("LazyRaw({'sid'")
    assert "raw" not in repr(rec)


def test_raw_is_parsed_once_per_page_on_first_use() -> None:
    first, second = decode_page([ITEM, {**ITEM, "sid": "RT2"}])
    source = first.raw._source  # type: ignore[attr-defined]
    assert second.raw._source is source  # type: ignore[attr-defined]
    assert source._items is None  # nothing parsed until someone looks
    assert second.raw["sid"] == "RT2"
    assert source._items is not None
    assert first.raw["sid"] == ITEM["sid"]


def test_a_raw_key_in_the_payload_is_just_data() -> None:
    rec = wire.decode_object(json.dumps({"sid": "RT1", "raw": [1]}).encode(), Recording)
    assert rec is not None and rec.raw == {"sid": "RT1", "raw": [1]}


def test_models_with_lazy_raw_pickle_copy_and_evolve() -> None:
    rec = decode_page([ITEM])[0]
    for clone in (pickle.loads(pickle.dumps(rec)), copy.deepcopy(rec), copy.copy(rec)):
        assert clone == rec and type(clone) is Recording
        assert dict(clone.raw) == ITEM
        assert isinstance(clone.links, MappingProxyType)
    assert isinstance(pickle.loads(pickle.dumps(rec)).raw, MappingProxyType)
    assert pickle.loads(pickle.dumps(rec.raw)) == ITEM
    evolved = attrs.evolve(rec, sid="RT9")
    assert evolved.sid == "RT9" and evolved.raw == ITEM


# -- envelopes ---------------------------------------------------------------------------------


def test_pages_with_meta_first_and_extra_keys() -> None:
    body = json.dumps({"meta": {"key": "recordings"}, "x": [1.5], "recordings": [ITEM]}).encode()
    decoded = wire.decode_page(body, Recording)
    assert decoded is not None and decoded[0][0].sid == ITEM["sid"]
    assert decoded[1] == {"key": "recordings"}


def test_a_parser_follows_a_change_of_key() -> None:
    parse = ListParser(Room)
    for key in ("rooms", "other_rooms", "rooms"):
        items, meta = parse(response(page_body([{"sid": "RM1"}], key=key)))
        assert meta["key"] == key and items[0].sid == "RM1"
        assert isinstance(items[0].raw, LazyRaw)


@pytest.mark.parametrize("msgspec_present", [True, False])
def test_a_payload_without_its_sid_is_a_validation_error_on_both_paths(
    msgspec_present: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not msgspec_present:
        monkeypatch.setitem(sys.modules, "msgspec", None)  # import fails: cattrs path only
        monkeypatch.setattr(wire, "_codecs", {})
    assert wire.supports(Recording) is msgspec_present
    no_sid = {k: v for k, v in ITEM.items() if k != "sid"}
    for body in (json.dumps(no_sid).encode(), json.dumps({**ITEM, "sid": None}).encode()):
        with pytest.raises(errors.APIResponseValidationError, match=r"\$\.sid"):
            Parser(Recording).from_response(response(body))
    page = page_body([ITEM, no_sid])
    with pytest.raises(errors.APIResponseValidationError, match=r"sid"):
        ListParser(Recording)(response(page))
    # The same payload with its sid decodes: the refusal is the missing identity alone.
    assert Parser(Recording).from_response(response(json.dumps(ITEM).encode())).sid == ITEM["sid"]


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"{}",
        b'{"meta": {"key": "recordings"}}',
        b'{"recordings": [], "meta": {"key": 5}}',
        b'{"recordings": {}, "meta": {"key": "recordings"}}',
        b'{"meta": {"key": "meta"}}',
        b'{"recordings": [], "meta": []}',
        b"",
    ],
)
def test_bad_envelopes_are_typed_errors(body: bytes) -> None:
    assert wire.decode_page(body, Recording) is None
    with pytest.raises(errors.APIResponseValidationError, match=r"meta\.key|JSON"):
        ListParser(Recording)(response(body))


def test_a_bad_item_names_its_index_and_field() -> None:
    body = page_body([ITEM, {**ITEM, "size": "big"}])
    assert wire.decode_page(body, Recording) is None
    with pytest.raises(errors.APIResponseValidationError, match=r"Recording did not .*\$\.size"):
        ListParser(Recording)(response(body))


def test_many_envelope_keys_stay_correct() -> None:
    @attrs.frozen(kw_only=True)
    class Thing(Model):
        name: str | None = None

    parse = ListParser(Thing)
    for n in range(12):  # more keys than the fast path caches
        key = f"things_{n}"
        items, _ = parse(response(page_body([{"name": key}], key=key)))
        assert items[0].name == key and items[0].raw == {"name": key}


# -- what the fast path does not take ----------------------------------------------------------


def test_models_the_fast_path_cannot_express_use_cattrs() -> None:
    @attrs.frozen(kw_only=True)
    class Checked(Model):
        size: int | None = attrs.field(default=None, validator=attrs.validators.ge(0))

    @attrs.frozen(kw_only=True)
    class Measured(Model):
        ratio: float | None = None

    @attrs.frozen(kw_only=True)
    class Tagged(Model):
        tags: tuple[str, ...] = attrs.field(factory=tuple)

    for cls, data in ((Checked, {"size": 3}), (Measured, {"ratio": 1}), (Tagged, {"tags": ["a"]})):
        assert not wire.supports(cls)
        body = json.dumps(data).encode()
        model = Parser(cls).from_response(response(body))
        assert type(model) is cls and model.raw == data


def test_without_msgspec_everything_takes_the_cattrs_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import fails
    monkeypatch.setattr(wire, "_codecs", {})
    assert not wire.supports(Room)
    room = Parser(Room).from_response(response(b'{"sid": "RM1", "status": "completed"}'))
    assert room.status is RoomStatus.COMPLETED and isinstance(room.raw, MappingProxyType)


def test_a_msgspec_that_ignores_the_wire_enum_tables_disables_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire, "_codecs", {})
    monkeypatch.setattr(wire, "_wire_enums", {})
    monkeypatch.setattr(wire, "_wire_enum_works", lambda *_: False)
    assert not wire.supports(Room)
    assert Parser(Room).from_response(
        response(b'{"sid": "RM1", "status": "Completed"}')
    ).status is (RoomStatus.COMPLETED)


# -- over HTTP ---------------------------------------------------------------------------------


async def test_listing_and_fetching_over_loopback_use_the_fast_path() -> None:
    async def recordings(request: web.Request) -> web.Response:
        page = int(request.query.get("Page", "0"))
        if page == 2:
            items = [ITEM, {**ITEM, "duration": 1.5}]
        else:
            items = [{**ITEM, "sid": f"RT{page}{i}"} for i in range(3)]
        next_url = f"{origin[0]}/v1/Recordings?Page={page + 1}"
        meta = {"key": "recordings", "next_page_url": next_url}
        return web.Response(
            body=json.dumps({"recordings": items, "meta": meta}).encode(),
            content_type="application/json",
            headers={"Twilio-Request-Id": f"RQ{page}"},
        )

    async def room(request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        if sid == "RMbad":
            return web.json_response({"sid": sid, "max_participants": "ten"})
        if sid == "RMhtml":
            return web.Response(text="<html>", content_type="text/html")
        return web.json_response({"sid": sid, "status": "IN-PROGRESS", "new": 1})

    origin: list[str] = []
    routes = [("GET", "/v1/Recordings", recordings), ("GET", "/v1/Rooms/{sid}", room)]
    async with serve(routes) as server:
        origin.append(base_url(server))
        async with make_client(origin[0]) as client:
            seen: list[Recording] = []
            with pytest.raises(errors.APIResponseValidationError) as info:
                async for rec in client.recordings.list():
                    seen.append(rec)
            fetched = await client.rooms.fetch("RMgood")
            raw = await client.rooms.with_raw_response.fetch("RMgood")
            with pytest.raises(errors.APIResponseValidationError, match="max_participants"):
                await client.rooms.fetch("RMbad")
            with pytest.raises(errors.APIResponseValidationError, match="not JSON"):
                await client.rooms.fetch("RMhtml")
    assert [r.sid for r in seen] == ["RT00", "RT01", "RT02", "RT10", "RT11", "RT12"]
    assert all(isinstance(r.raw, LazyRaw) and r.codec == "OPUS" for r in seen)
    assert "duration" in str(info.value) and info.value.request_id == "RQ2"
    assert info.value.status == 200 and info.value.path == "/v1/Recordings"
    assert fetched.status is RoomStatus.IN_PROGRESS and fetched.raw["new"] == 1
    assert raw.parse() == fetched and raw.json() == dict(raw.parse().raw)


def test_msgspec_is_imported_on_first_decode_only() -> None:
    import subprocess

    code = (
        "import sys, twvideo_async\n"
        "from twvideo_async.resources import _base\n"
        "assert 'msgspec' not in sys.modules\n"
        "from twvideo_async._decode import wire\n"
        "from twvideo_async.models import Room\n"
        "assert wire.decode_object(b'{\"sid\": \"RM1\"}', Room) == Room(sid='RM1')\n"
        "assert 'msgspec' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
