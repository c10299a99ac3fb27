"""Participants of a room, their published and subscribed tracks, and their subscribe rules."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from .._checks import check_choice
from .._constants import DEFAULT_MAX_PAGE_SIZE
from .._decode.parsers import list_parser, parser
from .._options import CallOptions, Unpack, make_options
from .._pagination import AsyncPaginator
from ..models import (
    Participant,
    ParticipantAnonymize,
    ParticipantStatus,
    PublishedTrack,
    SubscribedTrack,
    SubscribeRules,
)
from ..rules import RulesInput, encode_subscribe_rules
from ._base import SID, Resource, raw

if TYPE_CHECKING:
    from .._request import Requester

_PARTICIPANT = parser(Participant)
_PARTICIPANT_ITEMS = list_parser(Participant)
_ANONYMIZE = parser(ParticipantAnonymize)
_PUBLISHED = parser(PublishedTrack)
_PUBLISHED_ITEMS = list_parser(PublishedTrack)
_SUBSCRIBED = parser(SubscribedTrack)
_SUBSCRIBED_ITEMS = list_parser(SubscribedTrack)
_RULES = parser(SubscribeRules)
_BASE = "/v1/Rooms/{RoomSid}/Participants"
# The spec's room_participant_enum_status: the values an update may carry.
_STATUSES = tuple(s.value for s in ParticipantStatus)


class Participants(Resource):
    """``client.rooms.participants(room)``. Participants are addressed by SID (``PA...``) or
    by identity; an identity matches only a *connected* participant."""

    @cached_property
    def with_raw_response(self) -> ParticipantsRaw:
        """The one-request methods, returning the raw response too."""
        return ParticipantsRaw(self)

    def __init__(self, requester: Requester, room: str) -> None:
        super().__init__(requester)
        self.room = room

    async def fetch(
        self,
        participant: str,
        **options: Unpack[CallOptions],
    ) -> Participant:
        """Fetch a participant by SID or connected identity."""
        return await self._call(
            "GET",
            _BASE + "/{Sid}",
            {"RoomSid": self.room, "Sid": participant},
            options=make_options(options),
            parse=_PARTICIPANT,
        )

    async def update(
        self,
        participant: str,
        *,
        status: ParticipantStatus | str,
        **options: Unpack[CallOptions],
    ) -> Participant:
        """Set a participant's status (202). Only ``disconnected`` is accepted (error 53209).
        A status the spec does not list (or ``None``, which would send an empty update) is
        refused before sending."""
        value = check_choice("status", status, _STATUSES, hint=' (use "disconnected")')
        return await self._call(
            "POST",
            _BASE + "/{Sid}",
            {"RoomSid": self.room, "Sid": participant},
            form={"Status": value},
            idempotent=True,
            options=make_options(options),
            parse=_PARTICIPANT,
        )

    async def disconnect(self, participant: str, **options: Unpack[CallOptions]) -> Participant:
        """Kick a participant out of the room."""
        return await self.update(participant, status=ParticipantStatus.DISCONNECTED, **options)

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
        **options: Unpack[CallOptions],
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
            options=make_options(options),
            parse=_PARTICIPANT_ITEMS,
        )

    async def anonymize(
        self,
        participant: str,
        **options: Unpack[CallOptions],
    ) -> ParticipantAnonymize:
        """Replace the participant's identity with its SID (privacy requests)."""
        return await self._call(
            "POST",
            _BASE + "/{Sid}/Anonymize",
            {"RoomSid": self.room, "Sid": participant},
            form={},
            idempotent=True,
            options=make_options(options),
            parse=_ANONYMIZE,
        )

    # -- tracks ----------------------------------------------------------------------------

    async def fetch_published_track(
        self,
        participant: str,
        track: str,
        **options: Unpack[CallOptions],
    ) -> PublishedTrack:
        """A track the participant publishes, by SID (``MT...``) or track name."""
        return await self._call(
            "GET",
            _BASE + "/{ParticipantSid}/PublishedTracks/{Sid}",
            {"RoomSid": self.room, "ParticipantSid": participant, "Sid": track},
            options=make_options(options),
            parse=_PUBLISHED,
        )

    def list_published_tracks(
        self,
        participant: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
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
            options=make_options(options),
            parse=_PUBLISHED_ITEMS,
        )

    async def fetch_subscribed_track(
        self,
        participant: str,
        track_sid: str,
        **options: Unpack[CallOptions],
    ) -> SubscribedTrack:
        """A track the participant is subscribed to, by track SID (``MT...``)."""
        return await self._call(
            "GET",
            _BASE + "/{ParticipantSid}/SubscribedTracks/{Sid}",
            {"RoomSid": self.room, "ParticipantSid": participant, "Sid": track_sid},
            patterns={"Sid": SID["MT"]},
            options=make_options(options),
            parse=_SUBSCRIBED,
        )

    def list_subscribed_tracks(
        self,
        participant: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        page_url: str | None = None,
        **options: Unpack[CallOptions],
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
            options=make_options(options),
            parse=_SUBSCRIBED_ITEMS,
        )

    # -- subscribe rules -------------------------------------------------------------------

    async def fetch_subscribe_rules(
        self,
        participant: str,
        **options: Unpack[CallOptions],
    ) -> SubscribeRules:
        """The participant's current subscribe rules."""
        return await self._call(
            "GET",
            _BASE + "/{ParticipantSid}/SubscribeRules",
            {"RoomSid": self.room, "ParticipantSid": participant},
            options=make_options(options),
            parse=_RULES,
        )

    async def update_subscribe_rules(
        self,
        participant: str,
        rules: RulesInput,
        **options: Unpack[CallOptions],
    ) -> SubscribeRules:
        """Replace all subscribe rules of a participant (1 to 20 rules, validated before
        sending; Twilio answers 53215 to invalid rules and keeps the old ones)."""
        return await self._call(
            "POST",
            _BASE + "/{ParticipantSid}/SubscribeRules",
            {"RoomSid": self.room, "ParticipantSid": participant},
            form={"Rules": encode_subscribe_rules(rules)},
            idempotent=True,
            options=make_options(options),
            parse=_RULES,
        )

    async def subscribe_all(
        self, participant: str, **options: Unpack[CallOptions]
    ) -> SubscribeRules:
        """Subscribe the participant to every track (Twilio's default on connect)."""
        return await self.update_subscribe_rules(
            participant, [{"type": "include", "all": True}], **options
        )

    async def subscribe_none(
        self, participant: str, **options: Unpack[CallOptions]
    ) -> SubscribeRules:
        """Unsubscribe the participant from every track."""
        return await self.update_subscribe_rules(
            participant, [{"type": "exclude", "all": True}], **options
        )


class ParticipantsRaw:
    """``Participants.with_raw_response``: the one-request methods of :class:`Participants`,
    each returning a :class:`~twvideo_async.RawResponse` around its usual result."""

    def __init__(self, resource: Participants) -> None:
        self.fetch = raw(resource.fetch)
        self.update = raw(resource.update)
        self.disconnect = raw(resource.disconnect)
        self.anonymize = raw(resource.anonymize)
        self.fetch_published_track = raw(resource.fetch_published_track)
        self.fetch_subscribed_track = raw(resource.fetch_subscribed_track)
        self.fetch_subscribe_rules = raw(resource.fetch_subscribe_rules)
        self.update_subscribe_rules = raw(resource.update_subscribe_rules)
        self.subscribe_all = raw(resource.subscribe_all)
        self.subscribe_none = raw(resource.subscribe_none)
