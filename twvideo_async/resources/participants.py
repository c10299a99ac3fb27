"""Participants of a room, their published and subscribed tracks, and their subscribe rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._client import make_options as options
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._pagination import AsyncPaginator
from .._request import Timeout
from ..models import (
    Participant,
    ParticipantAnonymize,
    ParticipantStatus,
    PublishedTrack,
    SubscribedTrack,
    SubscribeRules,
)
from ..rules import RulesInput, encode_subscribe_rules
from ._base import SID, Resource, list_parser, parser

if TYPE_CHECKING:
    from .._client import VideoClient

_PARTICIPANT = parser(Participant)
_PARTICIPANT_ITEMS = list_parser(Participant)
_ANONYMIZE = parser(ParticipantAnonymize)
_PUBLISHED = parser(PublishedTrack)
_PUBLISHED_ITEMS = list_parser(PublishedTrack)
_SUBSCRIBED = parser(SubscribedTrack)
_SUBSCRIBED_ITEMS = list_parser(SubscribedTrack)
_RULES = parser(SubscribeRules)
_Headers = Mapping[str, str] | None
_BASE = "/v1/Rooms/{RoomSid}/Participants"


class Participants(Resource):
    """``client.rooms.participants(room)``. Participants are addressed by SID (``PA...``) or
    by identity; an identity matches only a *connected* participant."""

    def __init__(self, client: VideoClient, room: str) -> None:
        super().__init__(client)
        self.room = room

    async def fetch(
        self,
        participant: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Participant:
        """Fetch a participant by SID or connected identity."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            _BASE + "/{Sid}",
            {"RoomSid": self.room, "Sid": participant},
            options=options(timeout, max_retries, extra_headers),
            parse=_PARTICIPANT,
        )

    async def update(
        self,
        participant: str,
        *,
        status: ParticipantStatus | str,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> Participant:
        """Set a participant's status (202). Only ``disconnected`` is accepted (error 53209)."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            _BASE + "/{Sid}",
            {"RoomSid": self.room, "Sid": participant},
            form={"Status": status},
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_PARTICIPANT,
        )

    async def disconnect(self, participant: str, **kwargs: Any) -> Participant:
        """Kick a participant out of the room."""
        return await self.update(participant, status=ParticipantStatus.DISCONNECTED, **kwargs)

    def list(
        self,
        *,
        status: ParticipantStatus | str | None = None,
        identity: str | None = None,
        date_created_after: datetime | None = None,
        date_created_before: datetime | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> AsyncPaginator[Participant]:
        """List participants. Without ``status``, an in-progress room lists only *connected*
        participants and a completed room only *disconnected* ones."""
        return self._list(
            _BASE,
            {"RoomSid": self.room},
            query={
                "Status": status,
                "Identity": identity,
                "DateCreatedAfter": date_created_after,
                "DateCreatedBefore": date_created_before,
            },
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=options(timeout, max_retries, extra_headers),
            parse=_PARTICIPANT_ITEMS,
        )

    async def anonymize(
        self,
        participant: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> ParticipantAnonymize:
        """Replace the participant's identity with its SID (privacy requests)."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            _BASE + "/{Sid}/Anonymize",
            {"RoomSid": self.room, "Sid": participant},
            form={},
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_ANONYMIZE,
        )

    # -- tracks ----------------------------------------------------------------------------

    async def fetch_published_track(
        self,
        participant: str,
        track: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> PublishedTrack:
        """A track the participant publishes, by SID (``MT...``) or track name."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            _BASE + "/{ParticipantSid}/PublishedTracks/{Sid}",
            {"RoomSid": self.room, "ParticipantSid": participant, "Sid": track},
            options=options(timeout, max_retries, extra_headers),
            parse=_PUBLISHED,
        )

    def list_published_tracks(
        self,
        participant: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> AsyncPaginator[PublishedTrack]:
        """Tracks the participant publishes."""
        return self._list(
            _BASE + "/{ParticipantSid}/PublishedTracks",
            {"RoomSid": self.room, "ParticipantSid": participant},
            query={},
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=options(timeout, max_retries, extra_headers),
            parse=_PUBLISHED_ITEMS,
        )

    async def fetch_subscribed_track(
        self,
        participant: str,
        track_sid: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> SubscribedTrack:
        """A track the participant is subscribed to, by track SID (``MT...``)."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            _BASE + "/{ParticipantSid}/SubscribedTracks/{Sid}",
            {"RoomSid": self.room, "ParticipantSid": participant, "Sid": track_sid},
            patterns={"Sid": SID["MT"]},
            options=options(timeout, max_retries, extra_headers),
            parse=_SUBSCRIBED,
        )

    def list_subscribed_tracks(
        self,
        participant: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> AsyncPaginator[SubscribedTrack]:
        """Tracks the participant is subscribed to."""
        return self._list(
            _BASE + "/{ParticipantSid}/SubscribedTracks",
            {"RoomSid": self.room, "ParticipantSid": participant},
            query={},
            page_size=page_size,
            limit=limit,
            page_url=page_url,
            max_page_size=DEFAULT_MAX_PAGE_SIZE,
            options=options(timeout, max_retries, extra_headers),
            parse=_SUBSCRIBED_ITEMS,
        )

    # -- subscribe rules -------------------------------------------------------------------

    async def fetch_subscribe_rules(
        self,
        participant: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> SubscribeRules:
        """The participant's current subscribe rules."""
        return await self._call(  # type: ignore[no-any-return]
            "GET",
            _BASE + "/{ParticipantSid}/SubscribeRules",
            {"RoomSid": self.room, "ParticipantSid": participant},
            options=options(timeout, max_retries, extra_headers),
            parse=_RULES,
        )

    async def update_subscribe_rules(
        self,
        participant: str,
        rules: RulesInput,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: _Headers = None,
    ) -> SubscribeRules:
        """Replace all subscribe rules of a participant (1 to 20 rules, validated before
        sending; Twilio answers 53215 to invalid rules and keeps the old ones)."""
        return await self._call(  # type: ignore[no-any-return]
            "POST",
            _BASE + "/{ParticipantSid}/SubscribeRules",
            {"RoomSid": self.room, "ParticipantSid": participant},
            form={"Rules": encode_subscribe_rules(rules)},
            idempotent=True,
            options=options(timeout, max_retries, extra_headers),
            parse=_RULES,
        )

    async def subscribe_all(self, participant: str, **kwargs: Any) -> SubscribeRules:
        """Subscribe the participant to every track (Twilio's default on connect)."""
        return await self.update_subscribe_rules(
            participant, [{"type": "include", "all": True}], **kwargs
        )

    async def subscribe_none(self, participant: str, **kwargs: Any) -> SubscribeRules:
        """Unsubscribe the participant from every track."""
        return await self.update_subscribe_rules(
            participant, [{"type": "exclude", "all": True}], **kwargs
        )
