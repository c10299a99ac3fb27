"""twvideo_async: an asyncio-native SDK for the Twilio Programmable Video REST API."""

from ._version import __version__

__all__ = ["__version__"]
