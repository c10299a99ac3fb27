"""The emulator's API origin: the aiohttp app, route handlers per resource and Twilio's envelope."""
