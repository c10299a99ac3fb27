"""Fault injection for the emulator: the rules and the ``emu.faults`` controls."""
