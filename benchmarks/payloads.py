"""JSON bodies for the loopback server, built from the OpenAPI spec's own examples.

The room is the spec's ``fetch`` example for ``GET /v1/Rooms/{Sid}``; each recording is the
spec's ``readResults`` item for ``GET /v1/Recordings`` with its identifiers, dates, sizes and
kinds varied per item, so every client parses 100 distinct, realistic objects per page. Absolute
URLs point at the loopback server instead of ``video.twilio.com``: clients follow
``meta.next_page_url`` verbatim, and the real host must never be contacted.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "twilio_video_v1.json"
TWILIO_ORIGIN = "https://video.twilio.com"
_EPOCH = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


def _example(spec: dict[str, Any], path: str, name: str) -> Any:
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]
    return copy.deepcopy(content["application/json"]["examples"][name]["value"])


def _rebase(value: Any, origin: str) -> Any:
    """Every ``https://video.twilio.com`` URL in a JSON value, moved to ``origin``."""
    if isinstance(value, str) and value.startswith(TWILIO_ORIGIN):
        return origin + value[len(TWILIO_ORIGIN) :]
    if isinstance(value, dict):
        return {k: _rebase(v, origin) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebase(v, origin) for v in value]
    return value


def _sid(prefix: str, number: int) -> str:
    return f"{prefix}{number:032x}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def room_body(spec: dict[str, Any], origin: str, sid: str) -> bytes:
    """The spec's room, with ``sid`` and URLs on ``origin``."""
    room = _example(spec, "/v1/Rooms/{Sid}", "fetch")
    room = json.loads(json.dumps(room).replace(room["sid"], sid))
    return json.dumps(_rebase(room, origin)).encode()


def recording(template: dict[str, Any], number: int) -> dict[str, Any]:
    """Item ``number`` of the listing: the spec's recording with per-item values."""
    item = copy.deepcopy(template)
    sid = _sid("RT", number)
    room_sid = _sid("RM", number // 8)
    video = number % 3 == 0
    item.update(
        sid=sid,
        source_sid=_sid("MT", number),
        date_created=_stamp(_EPOCH - timedelta(seconds=37 * number)),
        size=1_000_000 + 7919 * number,
        duration=30 + number % 3600,
        offset=10 + number % 977,
        type="video" if video else "audio",
        container_format="mkv" if video else "mka",
        codec="VP8" if video else "opus",
        track_name=f"participant-{number % 8}-{'camera' if video else 'microphone'}",
        grouping_sids={"room_sid": room_sid, "participant_sid": _sid("PA", number % 8)},
        url=f"{TWILIO_ORIGIN}/v1/Recordings/{sid}",
        links={"media": f"{TWILIO_ORIGIN}/v1/Recordings/{sid}/Media"},
    )
    return item


class RecordingPages:
    """Pre-serialised pages of ``GET /v1/Recordings``: the server only copies bytes."""

    def __init__(self, spec: dict[str, Any], origin: str, pages: int, page_size: int) -> None:
        example = _example(spec, "/v1/Recordings", "readResults")
        template = example["recordings"][0]
        self.origin = origin
        self.pages = pages
        self.page_size = page_size
        self._bodies = [
            self._page(example["meta"], template, index) for index in range(max(pages, 1))
        ]

    def _url(self, index: int) -> str:
        token = f"&PageToken=PA{_sid('RT', index * self.page_size)}" if index else ""
        return f"{self.origin}/v1/Recordings?PageSize={self.page_size}&Page={index}{token}"

    def _page(self, meta_example: dict[str, Any], template: dict[str, Any], index: int) -> bytes:
        first = index * self.page_size
        items = [recording(template, first + i) for i in range(self.page_size)]
        meta = dict(meta_example)
        meta.update(
            page=index,
            page_size=self.page_size,
            first_page_url=self._url(0),
            previous_page_url=self._url(index - 1) if index > 0 else None,
            url=self._url(index),
            next_page_url=self._url(index + 1) if index + 1 < self.pages else None,
            key="recordings",
        )
        body = {"recordings": _rebase(items, self.origin), "meta": meta}
        return json.dumps(body).encode()

    def body(self, index: int) -> bytes | None:
        if 0 <= index < len(self._bodies):
            return self._bodies[index]
        return None


def error_body(status: int, code: int, message: str) -> bytes:
    """Twilio's error envelope."""
    return json.dumps(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    ).encode()
