"""OpenTelemetry, opt-in: a span per SDK call with a CLIENT span per attempt (stable HTTP
semantic conventions), waits and retries as events, the metrics, nothing imported when off, and
no secret, ``Authorization`` value or signed query in anything exported, even with the generic
aiohttp instrumentation installed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tests.helpers import KEY_SECRET, KEY_SID, basic_auth
from tests.media_servers import media_env, sid
from twvideo_async import VideoClient, errors
from twvideo_async.archive import LocalSink, SQLiteLedger, run_archive
from twvideo_async.testing import Emulator


class Otel:
    """An SDK tracer and meter provider exporting to memory."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points."""
        out: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out

    def exported_values(self) -> list[str]:
        """Every attribute value of every span, event, link and metric data point, as text."""
        values: list[str] = []
        for span in self.finished():
            values.append(span.name)
            values += [str(v) for v in (span.attributes or {}).values()]
            for event in span.events:
                values.append(event.name)
                values += [str(v) for v in (event.attributes or {}).values()]
            if span.status.description:
                values.append(span.status.description)
        for points in self.metrics().values():
            for point in points:
                values += [str(v) for v in (point.attributes or {}).values()]
        return values


@pytest.fixture
def otel() -> Iterator[Otel]:
    o = Otel()
    yield o
    o.tracer_provider.shutdown()
    o.meter_provider.shutdown()


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=3) as emulator:
        yield emulator


def traced(emu: Emulator, otel: Otel, **kwargs: Any) -> VideoClient:
    return VideoClient(
        *emu.credentials,
        base_url=emu.base_url,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
        **kwargs,
    )


async def test_a_call_is_one_span_with_a_client_span_per_attempt(emu: Emulator, otel: Otel) -> None:
    seeded = emu.seed(rooms=1, recordings_per_room=0, compositions_per_room=0)
    room = seeded.rooms[0]
    emu.faults.server_error(503, count=1, path=f"/v1/Rooms/{room}")
    async with traced(emu, otel, sleep=lambda _: asyncio.sleep(0)) as client:
        await client.rooms.fetch(room)
    spans = otel.finished()
    (call,) = [s for s in spans if s.kind is SpanKind.INTERNAL]
    attempts = sorted(
        (s for s in spans if s.kind is SpanKind.CLIENT), key=lambda s: s.start_time or 0
    )
    assert call.name == "twvideo GET /v1/Rooms/{Sid}"
    assert [a.name for a in attempts] == ["GET /v1/Rooms/{Sid}"] * 2
    assert all(a.parent is not None and a.parent.span_id == call.context.span_id for a in attempts)
    first, second = (dict(a.attributes or {}) for a in attempts)
    port = int(emu.base_url.rsplit(":", 1)[1])
    assert first == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.full": f"{emu.base_url}/v1/Rooms/{room}",
        "url.template": "/v1/Rooms/{Sid}",
        "http.response.status_code": 503,
        "error.type": "503",
    }
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert second["http.response.status_code"] == 200 and "error.type" not in second
    assert second["http.request.resend_count"] == 1
    assert dict(call.attributes or {})["http.response.status_code"] == 200
    (retry,) = [e for e in call.events if e.name == "twvideo.retry"]
    assert dict(retry.attributes or {})["twvideo.retry.attempt"] == 2
    # One histogram stream per attribute set: the 503 attempt and the 200 one.
    durations = otel.metrics()["http.client.request.duration"]
    assert sorted(p.attributes["http.response.status_code"] for p in durations) == [200, 503]
    assert all(p.count == 1 and p.sum > 0 for p in durations)


async def test_a_failed_call_says_why_and_url_full_has_no_query(emu: Emulator, otel: Otel) -> None:
    emu.seed(rooms=3, recordings_per_room=0, compositions_per_room=0)
    async with traced(emu, otel, max_retries=0) as client:
        rooms = [r async for r in client.rooms.list(status="completed", page_size=1)]
        assert len(rooms) == 3
        with pytest.raises(errors.NotFoundError):
            await client.rooms.fetch("RM" + "0" * 32)
    spans = otel.finished()
    for span in spans:
        full = dict(span.attributes or {}).get("url.full")
        assert full is None or ("?" not in str(full) and "@" not in str(full))
    pages = [s for s in spans if s.kind is SpanKind.CLIENT and s.name == "GET /v1/Rooms"]
    assert len(pages) == 3  # three pages, each its own call (the paginator's requests)
    failed = [
        s for s in spans if s.kind is SpanKind.INTERNAL and s.status.status_code is StatusCode.ERROR
    ]
    (call,) = failed
    assert dict(call.attributes or {})["error.type"] == "NotFoundError"
    assert dict(call.attributes or {})["http.response.status_code"] == 404


async def test_rate_limit_waits_are_events_and_a_metric(emu: Emulator, otel: Otel) -> None:
    emu.seed(rooms=1, recordings_per_room=0, compositions_per_room=0)
    emu.faults.throttle(count=1, retry_after=0.01)
    async with traced(emu, otel, read_rate=20) as client:
        await asyncio.gather(
            *(client.rooms.list(status="completed").first_page() for _ in range(30))
        )
    events = [e for s in otel.finished() for e in s.events]
    waits = [e for e in events if e.name == "twvideo.rate_limit.wait"]
    retries = [e for e in events if e.name == "twvideo.retry"]
    seconds = [cast(float, dict(e.attributes or {})["twvideo.wait.seconds"]) for e in waits]
    assert waits and all(float(s) > 0 for s in seconds)
    assert any(dict(e.attributes or {})["twvideo.retry.reason"] for e in retries)
    (paused,) = otel.metrics()["twvideo.client.rate_limit.wait"]
    assert paused.count == len(waits) and paused.sum > 0


async def test_media_bytes_and_archive_items_are_counted(
    emu: Emulator, otel: Otel, tmp_path: Path
) -> None:
    emu.seed(rooms=1, recordings_per_room=2, compositions_per_room=1, media_size=5000)
    async with traced(emu, otel) as client:
        async with SQLiteLedger(tmp_path / "l.sqlite") as ledger:
            report = await run_archive(client, LocalSink(tmp_path / "d"), ledger, since=None)
    assert report.archived == 3
    (downloaded,) = otel.metrics()["twvideo.media.downloaded"]
    assert downloaded.value == report.bytes == 15_000
    items = {
        p.attributes["twvideo.archive.outcome"]: p.value
        for p in otel.metrics()["twvideo.archive.items"]
    }
    assert items == {"archived": 3}


def test_off_imports_nothing_of_opentelemetry(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from twvideo_async import VideoClient\n"
        "from twvideo_async.testing import Emulator\n"
        "async def main():\n"
        "    async with Emulator(seed=1) as emu:\n"
        "        emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0)\n"
        "        async with VideoClient(*emu.credentials, base_url=emu.base_url) as c:\n"
        "            assert c._requester.telemetry is None\n"
        "            rec = [r async for r in c.recordings.list()][0]\n"
        "            async with c.recordings.stream(rec.sid) as s:\n"
        "                await s.read()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tracing_without_the_api_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(errors.ConfigurationError, match=r"twvideo_async\[otel\]"):
        VideoClient(KEY_SID, KEY_SECRET, environ={}, tracing=True)
    assert VideoClient(KEY_SID, KEY_SECRET, environ={})._requester.telemetry is None


# -- secrets -----------------------------------------------------------------------------------

SIGNED = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=ASIAEXAMPLECRED%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
    "&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN"
    "&X-Amz-Signature=3141592653589793238462643383279502884197"
)
SECRETS = ("31415926535897932", "ASIAEXAMPLECRED", "EXAMPLETOKEN", "X-Amz-", KEY_SECRET)


@pytest.fixture
def instrumented(otel: Otel) -> Iterator[AioHttpClientInstrumentor]:
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )
    yield instrumentor
    instrumentor.uninstrument()


async def test_generic_instrumentation_would_export_the_signed_url(
    instrumented: AioHttpClientInstrumentor, otel: Otel
) -> None:
    # The reason for the exclusion: a plain session under that instrumentation exports the
    # X-Amz-* query in url.full (it redacts only AWSAccessKeyId, Signature, sig, X-Goog-*).
    async with media_env() as env:
        env.add("RT" + "1" * 32, 100)
        url = f"{env.storage_server.make_url('')}/bucket/{'RT' + '1' * 32}?{SIGNED}"
        async with aiohttp.ClientSession() as plain:
            async with plain.get(url, headers={"Accept-Encoding": "identity"}) as response:
                await response.read()
    assert any("X-Amz-Signature=31415926535897932" in v for v in otel.exported_values())


async def test_no_secret_or_signed_query_is_exported(
    instrumented: AioHttpClientInstrumentor, otel: Otel, tmp_path: Path
) -> None:
    recording = sid("RT", 7)
    async with media_env(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    ) as env:
        data = env.add(recording, 70_000)
        env.api.target = f"{env.storage_server.make_url('')}/bucket/{recording}?{SIGNED}"
        await env.client.recordings.download(recording, tmp_path / "a.mka")
        async with env.client.recordings.stream(recording) as media:
            assert await media.read() == data
        (seen, *_) = env.storage.requests
        assert seen.query["X-Amz-Signature"].startswith("31415926535897932")  # it was really used
    assert (tmp_path / "a.mka").read_bytes() == data
    values = otel.exported_values()
    # The API requests were traced (by the SDK and by the generic instrumentation) ...
    assert any(v.endswith(f"/v1/Recordings/{recording}/Media") for v in values)
    # ... the storage requests by neither, and nothing exported holds a secret.
    assert not any("/bucket/" in v for v in values)
    auth = basic_auth(KEY_SID, KEY_SECRET)
    for value in values:
        assert not any(secret in value for secret in SECRETS), value
        assert auth not in value and auth.split()[1] not in value


async def test_no_secret_is_exported_for_an_emulator_download(
    instrumented: AioHttpClientInstrumentor, otel: Otel, emu: Emulator, tmp_path: Path
) -> None:
    emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0, media_size=3000)
    async with traced(emu, otel) as client:
        (rec,) = [r async for r in client.recordings.list()]
        assert rec.sid
        await client.recordings.download(rec.sid, tmp_path)
    (storage_request,) = emu.storage_requests
    signature = storage_request.query["Signature"]
    _, secret = emu.credentials
    for value in otel.exported_values():
        assert signature not in value and secret not in value and "Signature=" not in value
        assert emu.storage_url not in value


# -- trace_configs -----------------------------------------------------------------------------


async def test_trace_configs_reach_the_api_session_only(emu: Emulator, tmp_path: Path) -> None:
    emu.seed(rooms=1, recordings_per_room=1, compositions_per_room=0, media_size=3000)
    seen: list[str] = []

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(str(params.url))

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    async with VideoClient(*emu.credentials, base_url=emu.base_url, trace_configs=[config]) as c:
        (rec,) = [r async for r in c.recordings.list()]
        assert rec.sid
        await c.recordings.download(rec.sid, tmp_path)
        copy = c.with_options(timeout=5)
        await copy.recordings.fetch(rec.sid)
    assert len(emu.storage_requests) == 1
    assert seen and all(url.startswith(emu.base_url) for url in seen)
    assert any(url.endswith("/Media") for url in seen) and not any(
        emu.storage_url in u for u in seen
    )
    assert sum(url.endswith(f"/v1/Recordings/{rec.sid}") for url in seen) == 1  # the copy's call


async def test_trace_configs_need_the_clients_own_session(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(errors.ConfigurationError, match="trace_configs"):
            VideoClient(
                *emu.credentials,
                base_url=emu.base_url,
                session=session,
                trace_configs=[aiohttp.TraceConfig()],
            )
    with pytest.raises(errors.ConfigurationError, match="TraceConfig"):
        VideoClient(*emu.credentials, base_url=emu.base_url, trace_configs=["nope"])  # type: ignore[list-item]
