"""Rooms: ``/v1/Rooms`` and everything under a room (participants, rules, recordings,
transcriptions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._checks import check_choice
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._encoding import JsonField
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import RecordingRules, Room, RoomStatus, RoomType, VideoCodec
from ..rules import RulesInput, encode_recording_rules
from ._base import Resource, raw

if TYPE_CHECKING:
    from .participants import Participants
    from .room_recordings import RoomRecordings
    from .transcriptions import Transcriptions

_ROOM = parser(Room)
_ROOM_ITEMS = list_parser(Room)
_RECORDING_RULES = parser(RecordingRules)
# The spec's room_enum_room_status: the values an update may carry.
_ROOM_STATUSES = tuple(s.value for s in RoomStatus)


class Rooms(Resource):
    """``client.rooms``: create, fetch, update, list rooms, and reach what is inside a room.

    Rooms are addressed by SID (``RM...``) or, while in progress, by unique name.
    """

    @cached_property
    def with_raw_response(self) -> RoomsRaw:
        """The one-request methods, returning the raw response too."""
        return RoomsRaw(self)

    async def create(
        self,
        *,
        unique_name: str | None = None,
        type: RoomType | str | None = None,
        status_callback: str | None = None,
        status_callback_method: str | None = None,
        max_participants: int | None = None,
        record_participants_on_connect: bool | None = None,
        recording_rules: RulesInput | None = None,
        transcribe_participants_on_connect: bool | None = None,
        transcriptions_configuration: Mapping[str, Any] | None = None,
        video_codecs: Sequence[VideoCodec | str] | None = None,
        media_region: str | None = None,
        audio_only: bool | None = None,
        max_participant_duration: int | None = None,
        empty_room_timeout: int | None = None,
        unused_room_timeout: int | None = None,
        large_room: bool | None = None,
        enable_turn: bool | None = None,
        **options: Unpack[CallOptions],
    ) -> Room:
        """Create a room (201). ``unique_name`` must be unique among in-progress rooms (error
        53113 otherwise) and defaults to the room SID. A REST-created room ends after
        ``unused_room_timeout`` minutes (default 5) if nobody joins. ``recording_rules`` takes
        ``twvideo_async.rules.Rule`` objects or plain dicts;
        ``record_participants_on_connect=True`` is the same as including everything.
        Not retried on 5xx: a create may have happened."""
        return await self._call(
            "POST",
            "/v1/Rooms",
            {},
            form={
                "EnableTurn": enable_turn,
                "Type": type,
                "UniqueName": unique_name,
                "StatusCallback": status_callback,
                "StatusCallbackMethod": status_callback_method,
                "MaxParticipants": max_participants,
                "RecordParticipantsOnConnect": record_participants_on_connect,
                "TranscribeParticipantsOnConnect": transcribe_participants_on_connect,
                "VideoCodecs": video_codecs,
                "MediaRegion": media_region,
                "RecordingRules": None
                if recording_rules is None
                else encode_recording_rules(recording_rules),
                "TranscriptionsConfiguration": None
                if transcriptions_configuration is None
                else JsonField(transcriptions_configuration),
                "AudioOnly": audio_only,
                "MaxParticipantDuration": max_participant_duration,
                "EmptyRoomTimeout": empty_room_timeout,
                "UnusedRoomTimeout": unused_room_timeout,
                "LargeRoom": large_room,
            },
            options=make_options(options),
            parse=_ROOM,
        )

    async def fetch(
        self,
        room: str,
        **options: Unpack[CallOptions],
    ) -> Room:
        """Fetch a room by SID, or by unique name while it is in progress (a completed room is
        only found by SID)."""
        return await self._call(
            "GET",
            "/v1/Rooms/{Sid}",
            {"Sid": room},
            options=make_options(options),
            parse=_ROOM,
        )

    async def update(
        self,
        room: str,
        *,
        status: RoomStatus | str,
        **options: Unpack[CallOptions],
    ) -> Room:
        """Change a room's status (202). Only ``completed`` is accepted: it ends the room and
        disconnects everyone; a room that is not in progress gives error 53112. A status the
        spec does not list (or ``None``) is refused before sending."""
        value = check_choice("status", status, _ROOM_STATUSES, hint=' (use "completed")')
        return await self._call(
            "POST",
            "/v1/Rooms/{Sid}",
            {"Sid": room},
            form={"Status": value},
            idempotent=True,
            options=make_options(options),
            parse=_ROOM,
        )

    async def complete(self, room: str, **options: Unpack[CallOptions]) -> Room:
        """End a room now (``update(room, status="completed")``)."""
        return await self.update(room, status=RoomStatus.COMPLETED, **options)

    def list(
        self,
        *,
        status: RoomStatus | str | None = None,
        unique_name: str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Room]:
        """List rooms, newest first. **Without ``status`` Twilio returns only in-progress
        rooms**; pass ``status="completed"`` for ended ones. ``page_size`` is capped at 1000;
        ``limit`` stops after that many rooms; ``page_url`` resumes from a page's
        ``next_page_url``."""
        return self._list(
            "/v1/Rooms",
            {},
            query={
                "Status": status,
                "UniqueName": unique_name,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=make_options(options),
            parse=_ROOM_ITEMS,
        )

    # -- inside a room ---------------------------------------------------------------------

    def participants(self, room: str) -> Participants:
        """Participants of ``room`` (SID or in-progress unique name)."""
        from .participants import Participants

        return Participants(self._requester, room)

    def recordings(self, room_sid: str) -> RoomRecordings:
        """Track recordings of a room (``/v1/Rooms/{RM}/Recordings``); needs the room SID."""
        from .room_recordings import RoomRecordings

        return RoomRecordings(self._requester, room_sid)

    def transcriptions(self, room: str) -> Transcriptions:
        """Real-time transcriptions of a room."""
        from .transcriptions import Transcriptions

        return Transcriptions(self._requester, room)

    async def fetch_recording_rules(
        self,
        room: str,
        **options: Unpack[CallOptions],
    ) -> RecordingRules:
        """The room's current recording rules."""
        return await self._call(
            "GET",
            "/v1/Rooms/{RoomSid}/RecordingRules",
            {"RoomSid": room},
            options=make_options(options),
            parse=_RECORDING_RULES,
        )

    async def update_recording_rules(
        self,
        room: str,
        rules: RulesInput,
        **options: Unpack[CallOptions],
    ) -> RecordingRules:
        """Replace all recording rules of a room (1 to 20 rules, validated before sending).
        Every change of what is recorded starts a new recording SID."""
        return await self._call(
            "POST",
            "/v1/Rooms/{RoomSid}/RecordingRules",
            {"RoomSid": room},
            form={"Rules": encode_recording_rules(rules)},
            idempotent=True,
            options=make_options(options),
            parse=_RECORDING_RULES,
        )

    async def start_recording(self, room: str, **options: Unpack[CallOptions]) -> RecordingRules:
        """Record every track of the room from now on."""
        return await self.update_recording_rules(
            room, [{"type": "include", "all": True}], **options
        )

    async def stop_recording(self, room: str, **options: Unpack[CallOptions]) -> RecordingRules:
        """Stop recording every track of the room."""
        return await self.update_recording_rules(
            room, [{"type": "exclude", "all": True}], **options
        )

    async def mute_all(
        self,
        room: str,
        *,
        identities: Iterable[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> int:
        """Stop every connected participant (or those in ``identities``) from receiving audio,
        through subscribe rules. Returns how many participants were updated.

        It makes several requests (the listing's pages, then one update per participant):
        ``timeout``, ``max_retries`` and ``extra_headers`` apply to each of them separately."""
        make_options(options)  # refuse a bad option before the first request
        participants = self.participants(room)
        if identities is None:
            identities = [p.sid async for p in participants.list(**options) if p.sid]
        count = 0
        for who in identities:
            await participants.update_subscribe_rules(
                who,
                [{"type": "include", "all": True}, {"type": "exclude", "kind": "audio"}],
                **options,
            )
            count += 1
        return count


class RoomsRaw:
    """``Rooms.with_raw_response``: the one-request methods of :class:`Rooms`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: Rooms) -> None:
        self.create = raw(resource.create)
        self.fetch = raw(resource.fetch)
        self.update = raw(resource.update)
        self.complete = raw(resource.complete)
        self.fetch_recording_rules = raw(resource.fetch_recording_rules)
        self.update_recording_rules = raw(resource.update_recording_rules)
        self.start_recording = raw(resource.start_recording)
        self.stop_recording = raw(resource.stop_recording)
