"""Subscribe and recording rules: validation (as Twilio does it) and evaluation.

Both rule sets share one grammar: ``{"type": "include"|"exclude", <filter>: <value>, ...}`` with the
filters ``all`` (must be ``true`` and alone), ``kind``, ``publisher`` and ``track``, each at most
once; 1 to 20 rules per POST, and every POST replaces the whole set. The Java and C# helper
libraries wrap the array as ``{"rules": [...]}``, so that form is accepted as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .._twilio_errors import (
    RECORDING_RULES_INVALID,
    SUBSCRIBE_RULES_INVALID,
    ApiError,
)
from .records import Participant, PublishedTrack

MAX_RULES = 20
SUBSCRIBE_KINDS = frozenset({"audio", "video", "data"})
RECORDING_KINDS = frozenset({"audio", "video"})
PRIORITIES = frozenset({"low", "standard", "high"})

Rule = dict[str, Any]


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # "Each filter at most once": a JSON object repeating a key is an invalid rule, so the
    # parser must not silently keep the last value.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_rules(text: str, *, recording: bool) -> list[Rule]:
    """Parse and validate a ``Rules`` form value; raise the 400 Twilio sends for invalid rules."""
    code = RECORDING_RULES_INVALID if recording else SUBSCRIBE_RULES_INVALID
    label = "Recording" if recording else "Subscribe"

    def invalid(reason: str) -> ApiError:
        return ApiError(400, code, f"Invalid {label} Rule(s): {reason}")

    try:
        decoded = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise invalid(f"filter {exc} appears more than once in a rule") from None
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise invalid("Rules must be a JSON array of rule objects") from None
    if isinstance(decoded, dict) and set(decoded) == {"rules"}:
        decoded = decoded["rules"]
    if not isinstance(decoded, list):
        raise invalid("Rules must be a JSON array of rule objects")
    if not decoded:
        raise invalid("at least one rule is required")
    if len(decoded) > MAX_RULES:
        raise invalid(f"at most {MAX_RULES} rules are allowed, got {len(decoded)}")
    return [_validate_rule(rule, recording=recording, invalid=invalid) for rule in decoded]


def _validate_rule(rule: object, *, recording: bool, invalid: Any) -> Rule:
    if not isinstance(rule, dict):
        raise invalid("each rule must be a JSON object")
    allowed = {"type", "all", "kind", "publisher", "track"}
    if not recording:
        allowed.add("priority")
    unknown = sorted(set(rule) - allowed)
    if unknown:
        raise invalid(f"unknown rule field(s) {', '.join(unknown)}")
    if rule.get("type") not in ("include", "exclude"):
        raise invalid("type must be 'include' or 'exclude'")
    filters = [name for name in ("all", "kind", "publisher", "track") if name in rule]
    if not filters:
        raise invalid("a rule needs at least one of all, kind, publisher or track")
    if "all" in rule:
        if rule["all"] is not True:
            raise invalid("all must be true")
        if len(filters) > 1:
            raise invalid("all cannot be combined with other filters")
    kinds = RECORDING_KINDS if recording else SUBSCRIBE_KINDS
    # Membership tests against sets need a string: a list or object value is unhashable.
    if "kind" in rule and not (isinstance(rule["kind"], str) and rule["kind"] in kinds):
        raise invalid(f"kind must be one of {', '.join(sorted(kinds))}")
    for name in ("publisher", "track"):
        if name in rule and (not isinstance(rule[name], str) or not rule[name]):
            raise invalid(f"{name} must be a non-empty string")
    if "priority" in rule and not (
        isinstance(rule["priority"], str) and rule["priority"] in PRIORITIES
    ):
        raise invalid(f"priority must be one of {', '.join(sorted(PRIORITIES))}")
    return dict(rule)


def rule_matches(rule: Rule, track: PublishedTrack, publisher: Participant) -> bool:
    """Whether every filter of ``rule`` matches ``track`` (filters in one rule are ANDed)."""
    if rule.get("all") is True:
        return True
    if "kind" in rule and rule["kind"] != track.kind:
        return False
    if "publisher" in rule and rule["publisher"] not in (publisher.identity, publisher.sid):
        return False
    return not ("track" in rule and rule["track"] not in (track.name, track.sid))


def select_tracks(
    rules: Sequence[Rule], candidates: Iterable[tuple[PublishedTrack, Participant]]
) -> set[str]:
    """Track SIDs selected by ``rules``: start empty, include = union, exclude = difference."""
    pool = list(candidates)
    selected: set[str] = set()
    for rule in rules:
        matched = {track.sid for track, owner in pool if rule_matches(rule, track, owner)}
        if rule["type"] == "include":
            selected |= matched
        else:
            selected -= matched
    return selected


def render_subscribe_rule(rule: Rule) -> dict[str, Any]:
    """A subscribe rule as the API returns it: every field present, unused ones null."""
    return {
        "type": rule["type"],
        "all": rule.get("all"),
        "publisher": rule.get("publisher"),
        "track": rule.get("track"),
        "kind": rule.get("kind"),
        "priority": rule.get("priority"),
    }


def render_recording_rule(rule: Rule) -> dict[str, Any]:
    """A recording rule as the API returns it: only the fields that are set."""
    return {key: rule[key] for key in ("type", "all", "publisher", "track", "kind") if key in rule}
