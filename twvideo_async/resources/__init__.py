"""The resource layer: one class per resource family, thin wrappers over the request layer."""

from .composition_hooks import CompositionHooks
from .compositions import Compositions
from .insights import Insights, ParticipantSummaries, RoomSummaries
from .participants import Participants
from .recordings import Recordings
from .room_recordings import RoomRecordings
from .rooms import Rooms
from .settings import CompositionSettingsResource, RecordingSettingsResource
from .transcriptions import Transcriptions

__all__ = [
    "CompositionHooks",
    "CompositionSettingsResource",
    "Compositions",
    "Insights",
    "ParticipantSummaries",
    "Participants",
    "RecordingSettingsResource",
    "Recordings",
    "RoomRecordings",
    "RoomSummaries",
    "Rooms",
    "Transcriptions",
]
