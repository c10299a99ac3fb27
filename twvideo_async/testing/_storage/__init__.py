"""The emulator's S3-like storage origin: signed URLs and deterministic media bytes."""
