"""The emulator's in-memory account: records, the operations that change them and the clock."""
