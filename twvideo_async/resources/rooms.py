"""Rooms: ``/v1/Rooms`` and everything under a room (participants, rules, recordings,
transcriptions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._client import make_options as options
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._encoding import JsonField
from .._pagination import AsyncPaginator
from .._request import Timeout
from ..models import RecordingRules, Room, RoomStatus, RoomType, VideoCodec
from ..rules import RulesInput, encode_recording_rules
from ._base import Resource, list_parser, parser

if TYPE_CHECKING:
    from .participants import Participants
    from .room_recordings import RoomRecordings
    from .transcriptions import Transcriptions

_ROOM = parser(Room)
_ROOM_ITEMS = list_parser(Room)
_RECORDING_RULES = parser(RecordingRules)
_Headers = Mapping[str, str] | None


class Rooms(Resource):
    """``client.rooms``: create, fetch, update, list rooms, and reach what is inside a room.

    Rooms are addressed by SID (``RM...``) or, while in progress, by unique name.
    """

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
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Room:
        """Create a room (201). ``unique_name`` must be unique among in-progress rooms (error
        53113 otherwise) and defaults to the room SID. A REST-created room ends after
        ``unused_room_timeout`` minutes (default 5) if nobody joins. ``recording_rules`` takes
        ``twvideo_async.rules.Rule`` objects or plain dicts;
        ``record_participants_on_connect=True`` is the same as including everything.
        Not retried on 5xx: a create may have happened."""
        return await self._call(  # type: ignore[no-any-return]
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
            options=options(timeout, max_retries, extra_headers),
            parse=_ROOM,
        )

    async def fetch(
        self,
        room: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Room:
        """Fetch a room by SID, or by unique name while it is in progress (a completed room is
        only found by SID)."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            "/v1/Rooms/{Sid}",
            {"Sid": room},
            options=options(timeout, max_retries, extra_headers),
            parse=_ROOM,
        )

    async def update(
        self,
        room: str,
        *,
        status: RoomStatus | str,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Room:
        """Change a room's status (202). Only ``completed`` is accepted: it ends the room and
        disconnects everyone; a room that is not in progress gives error 53112."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            "/v1/Rooms/{Sid}",
            {"Sid": room},
            form={"Status": status},
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_ROOM,
        )

    async def complete(self, room: str, **kwargs: Any) -> Room:
        """End a room now (``update(room, status="completed")``)."""
        return await self.update(room, status=RoomStatus.COMPLETED, **kwargs)

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
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
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
            options=options(timeout, max_retries, extra_headers),
            parse=_ROOM_ITEMS,
        )

    # -- inside a room ---------------------------------------------------------------------

    def participants(self, room: str) -> Participants:
        """Participants of ``room`` (SID or in-progress unique name)."""
        from .participants import Participants

        return Participants(self._client, room)

    def recordings(self, room_sid: str) -> RoomRecordings:
        """Track recordings of a room (``/v1/Rooms/{RM}/Recordings``); needs the room SID."""
        from .room_recordings import RoomRecordings

        return RoomRecordings(self._client, room_sid)

    def transcriptions(self, room: str) -> Transcriptions:
        """Real-time transcriptions of a room."""
        from .transcriptions import Transcriptions

        return Transcriptions(self._client, room)

    async def fetch_recording_rules(
        self,
        room: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> RecordingRules:
        """The room's current recording rules."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            "/v1/Rooms/{RoomSid}/RecordingRules",
            {"RoomSid": room},
            options=options(timeout, max_retries, extra_headers),
            parse=_RECORDING_RULES,
        )

    async def update_recording_rules(
        self,
        room: str,
        rules: RulesInput,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> RecordingRules:
        """Replace all recording rules of a room (1 to 20 rules, validated before sending).
        Every change of what is recorded starts a new recording SID."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            "/v1/Rooms/{RoomSid}/RecordingRules",
            {"RoomSid": room},
            form={"Rules": encode_recording_rules(rules)},
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_RECORDING_RULES,
        )

    async def start_recording(self, room: str, **kwargs: Any) -> RecordingRules:
        """Record every track of the room from now on."""
        return await self.update_recording_rules(room, [{"type": "include", "all": True}], **kwargs)

    async def stop_recording(self, room: str, **kwargs: Any) -> RecordingRules:
        """Stop recording every track of the room."""
        return await self.update_recording_rules(room, [{"type": "exclude", "all": True}], **kwargs)

    async def mute_all(self, room: str, *, identities: Iterable[str] | None = None) -> int:
        """Stop every connected participant (or those in ``identities``) from receiving audio,
        through subscribe rules. Returns how many participants were updated."""
        participants = self.participants(room)
        if identities is None:
            identities = [p.sid async for p in participants.list() if p.sid]
        count = 0
        for who in identities:
            await participants.update_subscribe_rules(
                who, [{"type": "include", "all": True}, {"type": "exclude", "kind": "audio"}]
            )
            count += 1
        return count
