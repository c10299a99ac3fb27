"""Request-side helpers: subscribe rules, recording rules and composition video layouts.

Twilio takes these as a JSON string inside one form field and answers a malformed value with a
400 (53215 for subscribe rules, 53120 for recording rules, a generic 4xx for layouts) while the
old rules stay active. These helpers check everything Twilio documents before a request is sent
and produce the compact JSON it expects::

    from twvideo_async.rules import Rule, encode_subscribe_rules, grid, encode_video_layout

    encode_subscribe_rules([Rule.include(kind="audio"), Rule.include(publisher="Bob")])
    encode_subscribe_rules([{"type": "exclude", "all": True}])      # plain dicts work too
    encode_video_layout(grid(), resolution="1280x720")

Every function raises :class:`~twvideo_async.errors.InvalidRequestError` (a ``ValueError``)
with a message that says what to pass instead.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import attrs

from .errors import InvalidRequestError
from .models import RecordingRule, SubscribeRule
from .models.layout import MIN_REGION_SIDE, Region, parse_resolution

__all__ = [
    "RECORD_ALL",
    "RECORD_AUDIO_ONLY",
    "RECORD_NONE",
    "SUBSCRIBE_ALL",
    "SUBSCRIBE_NONE",
    "Region",
    "Rule",
    "RuleInput",
    "RulesInput",
    "encode_recording_rules",
    "encode_subscribe_rules",
    "encode_video_layout",
    "grid",
    "parse_resolution",
    "picture_in_picture",
    "sequence",
]

MAX_RULES = 20
_RULE_KEYS = ("type", "all", "publisher", "track", "kind")
_SUBSCRIBE_KINDS = ("audio", "video", "data")
_RECORDING_KINDS = ("audio", "video")


def _plain(value: Any) -> Any:
    # Accept the SDK's str enums (e.g. TrackKind.AUDIO) wherever a wire string is expected.
    return value.value if isinstance(value, enum.Enum) else value


def _nonempty_str(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidRequestError(
            f"rule filter {name!r} must be a non-empty string, got {value!r}; "
            "pass a participant identity or SID for 'publisher', a track name or SID for 'track'"
        )


# -- subscribe and recording rules -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Rule:
    """One subscribe or recording rule: ``include`` or ``exclude`` the tracks that match.

    Filters combine with AND; use ``all=True`` alone to match every track. Build rules with
    :meth:`include` / :meth:`exclude`; the rule is checked when created.
    """

    type: str
    all: bool | None = None
    publisher: str | None = None
    track: str | None = None
    kind: str | None = attrs.field(default=None, converter=_plain)

    def __attrs_post_init__(self) -> None:
        if self.type not in ("include", "exclude"):
            raise InvalidRequestError(
                f"rule type must be 'include' or 'exclude', got {self.type!r}"
            )
        if self.all is not None:
            if self.all is not True:
                raise InvalidRequestError(
                    f"rule filter 'all' can only be True, got {self.all!r}; "
                    "to match nothing use Rule.exclude(all=True)"
                )
            if self.publisher is not None or self.track is not None or self.kind is not None:
                raise InvalidRequestError(
                    "rule filter 'all' cannot be combined with 'publisher', 'track' or 'kind'; "
                    "use all=True alone, or only the other filters"
                )
        elif self.publisher is None and self.track is None and self.kind is None:
            raise InvalidRequestError(
                f"a {self.type} rule needs at least one filter: all=True, kind, publisher or track"
            )
        _nonempty_str("publisher", self.publisher)
        _nonempty_str("track", self.track)
        if self.kind is not None and self.kind not in _SUBSCRIBE_KINDS:
            raise InvalidRequestError(
                f"rule filter 'kind' must be 'audio', 'video' or 'data', got {self.kind!r}"
            )

    @classmethod
    def include(
        cls,
        *,
        all: bool | None = None,
        kind: str | None = None,
        publisher: str | None = None,
        track: str | None = None,
    ) -> Rule:
        """A rule that adds the matching tracks."""
        return cls(type="include", all=all, kind=kind, publisher=publisher, track=track)

    @classmethod
    def exclude(
        cls,
        *,
        all: bool | None = None,
        kind: str | None = None,
        publisher: str | None = None,
        track: str | None = None,
    ) -> Rule:
        """A rule that removes the matching tracks."""
        return cls(type="exclude", all=all, kind=kind, publisher=publisher, track=track)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Rule:
        """Build a rule from a dict such as ``{"type": "include", "kind": "audio"}``.

        Keys that are ``None`` are ignored (Twilio returns unused filters as ``null``).
        """
        if not isinstance(data, Mapping):
            raise InvalidRequestError(
                f"a rule must be a Rule or a dict, got {type(data).__name__}; "
                'pass e.g. {"type": "include", "all": True}'
            )
        unknown = sorted(str(k) for k in data if k not in _RULE_KEYS)
        if unknown:
            raise InvalidRequestError(
                f"unknown rule key(s) {', '.join(map(repr, unknown))}; "
                f"a rule takes {', '.join(map(repr, _RULE_KEYS))}"
            )
        if data.get("type") is None:
            raise InvalidRequestError("a rule needs 'type': 'include' or 'exclude'")
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The rule as Twilio's JSON object, with only the filters in use."""
        out: dict[str, Any] = {"type": self.type}
        for key in ("all", "publisher", "track", "kind"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


RuleInput: TypeAlias = "Rule | Mapping[str, Any] | SubscribeRule | RecordingRule"
RulesInput: TypeAlias = "RuleInput | Iterable[RuleInput] | str"

SUBSCRIBE_ALL: tuple[Rule, ...] = (Rule.include(all=True),)
"""Subscribe to every track (what Twilio installs when a participant connects)."""
SUBSCRIBE_NONE: tuple[Rule, ...] = (Rule.exclude(all=True),)
"""Subscribe to nothing."""
RECORD_ALL: tuple[Rule, ...] = (Rule.include(all=True),)
"""Record every track of the room."""
RECORD_NONE: tuple[Rule, ...] = (Rule.exclude(all=True),)
"""Stop recording every track."""
RECORD_AUDIO_ONLY: tuple[Rule, ...] = (Rule.include(kind="audio"),)
"""Record every audio track and no video."""


def _one_rule(item: Any) -> Rule:
    if isinstance(item, Rule):
        return item
    if isinstance(item, (SubscribeRule, RecordingRule)):
        # A rule read back from Twilio; ``priority`` is not a filter and is not sent.
        fields = {k: getattr(item, k) for k in _RULE_KEYS}
        return Rule.from_mapping({k: v for k, v in fields.items() if v is not None})
    return Rule.from_mapping(item)


def _to_rules(rules: Any) -> list[Rule]:
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError:
            raise InvalidRequestError(
                'rules given as text must be a JSON array such as [{"type": "include", '
                '"all": true}]; or pass a list of Rule objects or dicts'
            ) from None
    if isinstance(rules, Mapping) and set(rules) == {"rules"}:
        rules = rules["rules"]  # the {"rules": [...]} wrapper Twilio's Java/C# helpers send
    if isinstance(rules, (Rule, Mapping, SubscribeRule, RecordingRule)):
        rules = [rules]
    if not isinstance(rules, Iterable) or isinstance(rules, (str, bytes)):
        raise InvalidRequestError(
            f"rules must be a list of Rule objects or dicts, got {type(rules).__name__}"
        )
    return [_one_rule(r) for r in rules]


def _encode_rules(rules: RulesInput, kinds: tuple[str, ...], what: str) -> str:
    checked = _to_rules(rules)
    if not checked:
        raise InvalidRequestError(
            f"{what} rules cannot be empty; pass at least one rule, e.g. "
            "Rule.exclude(all=True) to match nothing"
        )
    if len(checked) > MAX_RULES:
        raise InvalidRequestError(
            f"Twilio accepts at most {MAX_RULES} {what} rules, got {len(checked)}; "
            "combine filters or use kind / all=True"
        )
    for rule in checked:
        if rule.kind is not None and rule.kind not in kinds:
            raise InvalidRequestError(
                f"{what} rule filter 'kind' must be one of {', '.join(map(repr, kinds))}, "
                f"got {rule.kind!r}"
            )
    return json.dumps([r.to_dict() for r in checked], separators=(",", ":"))


def encode_subscribe_rules(rules: RulesInput) -> str:
    """Check subscribe rules and return the JSON array Twilio expects in ``Rules``.

    Accepts :class:`Rule` objects, dicts, rules read back from Twilio, a list of those, or
    JSON text. 1 to 20 rules; ``kind`` is ``audio``, ``video`` or ``data``. Each POST
    replaces all previous rules.
    """
    return _encode_rules(rules, _SUBSCRIBE_KINDS, "subscribe")


def encode_recording_rules(rules: RulesInput) -> str:
    """Check recording rules and return the JSON array Twilio expects in ``Rules``.

    Same grammar as subscribe rules, but ``kind`` is only ``audio`` or ``video``.
    """
    return _encode_rules(rules, _RECORDING_KINDS, "recording")


# -- composition video layouts -----------------------------------------------------------------


def encode_video_layout(
    layout: Mapping[str, Region | Mapping[str, Any]], resolution: str | None = None
) -> str:
    """Check a ``VideoLayout`` and return the JSON object Twilio expects.

    ``layout`` maps region names (your choice, e.g. ``"main"``) to :class:`Region` objects or
    dicts. With ``resolution`` (the one sent as ``Resolution``) every region must fit the
    canvas; Twilio's default canvas is ``640x480``.
    """
    if not isinstance(layout, Mapping) or not layout:
        raise InvalidRequestError(
            "video layout must be a non-empty dict of region name -> Region, "
            "e.g. {'grid': Region(video_sources=['*'])} or grid()"
        )
    canvas = parse_resolution(resolution) if resolution is not None else None
    out: dict[str, Any] = {}
    for name, region in layout.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidRequestError(f"region names must be non-empty strings, got {name!r}")
        checked = region if isinstance(region, Region) else Region.from_mapping(region)
        if canvas is not None:
            checked.check_fits(name, *canvas)
        out[name] = checked.to_dict()
    return json.dumps(out, separators=(",", ":"))


def grid(
    video_sources: Iterable[str] = ("*",),
    *,
    name: str = "grid",
    max_columns: int | None = None,
    max_rows: int | None = None,
    reuse: str | None = None,
    video_sources_excluded: Iterable[str] = (),
) -> dict[str, Region]:
    """Every matching video track in one grid filling the canvas (Twilio's default layout)."""
    region = Region(
        video_sources=video_sources,
        video_sources_excluded=video_sources_excluded,
        max_columns=max_columns,
        max_rows=max_rows,
        reuse=reuse,
    )
    return {name: region}


def sequence(video_sources: Iterable[str] = ("*",), *, name: str = "sequence") -> dict[str, Region]:
    """One track at a time, full canvas, always showing the newest (e.g. speaker changes)."""
    return {
        name: Region(video_sources=video_sources, max_columns=1, max_rows=1, reuse="show_newest")
    }


_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def picture_in_picture(
    main_sources: Iterable[str],
    pip_sources: Iterable[str],
    *,
    resolution: str = "1280x720",
    corner: str = "bottom-right",
    pip_width: int | None = None,
    pip_height: int | None = None,
    margin: int | None = None,
) -> dict[str, Region]:
    """A full-canvas ``main`` region with a small ``pip`` region on top in one corner.

    The inset defaults to a quarter of the canvas each way, ``margin`` to 1/24 of its shorter
    side. Pass the same ``resolution`` to the composition (and to :func:`encode_video_layout`).
    """
    if corner not in _CORNERS:
        raise InvalidRequestError(f"corner must be one of {', '.join(_CORNERS)}, got {corner!r}")
    width, height = parse_resolution(resolution)
    pip_w = pip_width if pip_width is not None else max(width // 4, MIN_REGION_SIDE)
    pip_h = pip_height if pip_height is not None else max(height // 4, MIN_REGION_SIDE)
    gap = margin if margin is not None else min(width, height) // 24
    if not isinstance(gap, int) or gap < 0:
        raise InvalidRequestError(f"margin must be a non-negative integer, got {gap!r}")
    x = gap if corner.endswith("left") else width - pip_w - gap
    y = gap if corner.startswith("top") else height - pip_h - gap
    if x < 0 or y < 0:
        raise InvalidRequestError(
            f"a {pip_w}x{pip_h} inset with a {gap}px margin does not fit {resolution}; "
            "pass a smaller pip_width / pip_height or margin"
        )
    layout = {
        "main": Region(video_sources=main_sources, z_pos=1),
        "pip": Region(
            video_sources=pip_sources, z_pos=2, x_pos=x, y_pos=y, width=pip_w, height=pip_h
        ),
    }
    for name, region in layout.items():
        region.check_fits(name, width, height)
    return layout
