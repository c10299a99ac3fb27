"""JSON bodies of every resource, shaped exactly like the spec's component schemas.

Every property of a schema is present (null when unknown) and every ``url``/``links`` entry is
absolute on the origin the client used to reach the emulator.
"""

from __future__ import annotations

from typing import Any

from .._state.account_state import State
from .._state.clock import iso
from .._state.records import (
    Composition,
    CompositionHook,
    Participant,
    PublishedTrack,
    Recording,
    Room,
    StorageSettings,
    Transcription,
)
from .._state.track_rules import render_recording_rule, render_subscribe_rule

Body = dict[str, Any]


class Renderer:
    """Renders records for one request's origin (``http://127.0.0.1:PORT``)."""

    def __init__(self, state: State, origin: str) -> None:
        self.state = state
        self.origin = origin.rstrip("/")
        self.account_sid = state.account_sid

    def room(self, room: Room) -> Body:
        url = f"{self.origin}/v1/Rooms/{room.sid}"
        return {
            "sid": room.sid,
            "status": room.status,
            "date_created": iso(room.date_created),
            "date_updated": iso(room.date_updated),
            "account_sid": self.account_sid,
            "enable_turn": room.enable_turn,
            "unique_name": room.unique_name,
            "status_callback": room.status_callback,
            "status_callback_method": room.status_callback_method,
            "end_time": iso(room.end_time),
            "duration": room.duration,
            "type": room.type,
            "max_participants": room.max_participants,
            "max_participant_duration": room.max_participant_duration,
            "max_concurrent_published_tracks": room.max_concurrent_published_tracks,
            "record_participants_on_connect": room.record_participants_on_connect,
            "video_codecs": list(room.video_codecs),
            "media_region": room.media_region,
            "audio_only": room.audio_only,
            "empty_room_timeout": room.empty_room_timeout,
            "unused_room_timeout": room.unused_room_timeout,
            "large_room": room.large_room,
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "recordings": f"{url}/Recordings",
                "transcriptions": f"{url}/Transcriptions",
                "recording_rules": f"{url}/RecordingRules",
            },
        }

    def _participant_url(self, participant: Participant) -> str:
        return f"{self.origin}/v1/Rooms/{participant.room_sid}/Participants/{participant.sid}"

    def _participant_common(self, participant: Participant) -> Body:
        duration = None
        if participant.end_time is not None:
            duration = int((participant.end_time - participant.start_time).total_seconds())
        return {
            "sid": participant.sid,
            "room_sid": participant.room_sid,
            "account_sid": self.account_sid,
            "status": participant.status,
            "identity": participant.sid if participant.anonymized else participant.identity,
            "date_created": iso(participant.date_created),
            "date_updated": iso(participant.date_updated),
            "start_time": iso(participant.start_time),
            "end_time": iso(participant.end_time),
            "duration": duration,
        }

    def participant(self, participant: Participant) -> Body:
        url = self._participant_url(participant)
        return {
            **self._participant_common(participant),
            "url": url,
            "links": {
                "published_tracks": f"{url}/PublishedTracks",
                "subscribed_tracks": f"{url}/SubscribedTracks",
                "subscribe_rules": f"{url}/SubscribeRules",
                "anonymize": f"{url}/Anonymize",
            },
        }

    def anonymized_participant(self, participant: Participant) -> Body:
        return {
            **self._participant_common(participant),
            "url": f"{self._participant_url(participant)}/Anonymize",
        }

    def published_track(self, track: PublishedTrack) -> Body:
        participant_url = (
            f"{self.origin}/v1/Rooms/{track.room_sid}/Participants/{track.participant_sid}"
        )
        return {
            "sid": track.sid,
            "participant_sid": track.participant_sid,
            "room_sid": track.room_sid,
            "name": track.name,
            "date_created": iso(track.date_created),
            "date_updated": iso(track.date_updated),
            "enabled": track.enabled,
            "kind": track.kind,
            "url": f"{participant_url}/PublishedTracks/{track.sid}",
        }

    def subscribed_track(
        self, subscriber: Participant, track: PublishedTrack, publisher: Participant
    ) -> Body:
        return {
            "sid": track.sid,
            "participant_sid": subscriber.sid,
            "publisher_sid": publisher.sid,
            "room_sid": track.room_sid,
            "name": track.name,
            "date_created": iso(track.date_created),
            "date_updated": iso(track.date_updated),
            "enabled": track.enabled,
            "kind": track.kind,
            "url": f"{self._participant_url(subscriber)}/SubscribedTracks/{track.sid}",
        }

    def subscribe_rules(self, participant: Participant) -> Body:
        return {
            "participant_sid": participant.sid,
            "room_sid": participant.room_sid,
            "rules": [render_subscribe_rule(rule) for rule in participant.subscribe_rules],
            "date_created": iso(participant.rules_date_created),
            "date_updated": iso(participant.rules_date_updated),
        }

    def recording_rules(self, room: Room) -> Body:
        return {
            "room_sid": room.sid,
            "rules": [render_recording_rule(rule) for rule in room.recording_rules],
            "date_created": iso(room.rules_date_created),
            "date_updated": iso(room.rules_date_updated),
        }

    def _recording_common(self, recording: Recording) -> Body:
        return {
            "account_sid": self.account_sid,
            "status": recording.status,
            "date_created": iso(recording.date_created),
            "sid": recording.sid,
            "source_sid": recording.source_sid,
            "size": recording.size,
            "type": recording.type,
            "duration": recording.duration,
            "container_format": recording.container_format,
            "codec": recording.codec,
            "grouping_sids": {
                "room_sid": recording.room_sid,
                "participant_sid": recording.participant_sid,
            },
            "track_name": recording.track_name,
            "offset": recording.offset,
            "media_external_location": None,
        }

    def recording(self, recording: Recording) -> Body:
        url = f"{self.origin}/v1/Recordings/{recording.sid}"
        return {
            **self._recording_common(recording),
            "status_callback": recording.status_callback,
            "status_callback_method": recording.status_callback_method,
            "url": url,
            "links": {"media": f"{url}/Media"},
        }

    def room_recording(self, recording: Recording) -> Body:
        url = f"{self.origin}/v1/Rooms/{recording.room_sid}/Recordings/{recording.sid}"
        return {
            **self._recording_common(recording),
            "room_sid": recording.room_sid,
            "url": url,
            "links": {"media": f"{url}/Media"},
        }

    def composition(self, composition: Composition) -> Body:
        url = f"{self.origin}/v1/Compositions/{composition.sid}"
        return {
            "account_sid": self.account_sid,
            "status": composition.status,
            "date_created": iso(composition.date_created),
            "date_completed": iso(composition.date_completed),
            "date_deleted": iso(composition.date_deleted),
            "sid": composition.sid,
            "room_sid": composition.room_sid,
            "audio_sources": list(composition.audio_sources),
            "audio_sources_excluded": list(composition.audio_sources_excluded),
            "video_layout": composition.video_layout,
            "resolution": composition.resolution,
            "trim": composition.trim,
            "format": composition.format,
            "bitrate": composition.bitrate,
            "size": composition.size,
            "duration": composition.duration,
            "media_external_location": None,
            "status_callback": composition.status_callback,
            "status_callback_method": composition.status_callback_method,
            "url": url,
            "links": {"media": f"{url}/Media"},
        }

    def hook(self, hook: CompositionHook) -> Body:
        return {
            "account_sid": self.account_sid,
            "friendly_name": hook.friendly_name,
            "enabled": hook.enabled,
            "date_created": iso(hook.date_created),
            "date_updated": iso(hook.date_updated),
            "sid": hook.sid,
            "audio_sources": list(hook.audio_sources),
            "audio_sources_excluded": list(hook.audio_sources_excluded),
            "video_layout": hook.video_layout,
            "resolution": hook.resolution,
            "trim": hook.trim,
            "format": hook.format,
            "status_callback": hook.status_callback,
            "status_callback_method": hook.status_callback_method,
            "url": f"{self.origin}/v1/CompositionHooks/{hook.sid}",
        }

    def settings(self, settings: StorageSettings, path: str) -> Body:
        return {
            "account_sid": self.account_sid,
            "friendly_name": settings.friendly_name,
            "aws_credentials_sid": settings.aws_credentials_sid,
            "aws_s3_url": settings.aws_s3_url,
            "aws_storage_enabled": settings.aws_storage_enabled,
            "encryption_key_sid": settings.encryption_key_sid,
            "encryption_enabled": settings.encryption_enabled,
            "url": f"{self.origin}{path}",
        }

    def transcription(self, transcription: Transcription) -> Body:
        return {
            "ttid": transcription.ttid,
            "account_sid": self.account_sid,
            "room_sid": transcription.room_sid,
            "source_sid": transcription.source_sid,
            "status": transcription.status,
            "date_created": iso(transcription.date_created),
            "date_updated": iso(transcription.date_updated),
            "start_time": iso(transcription.start_time),
            "end_time": iso(transcription.end_time),
            "duration": self.state.transcription_duration(transcription),
            "url": (
                f"{self.origin}/v1/Rooms/{transcription.room_sid}/Transcriptions/"
                f"{transcription.ttid}"
            ),
            "configuration": dict(transcription.configuration),
        }
