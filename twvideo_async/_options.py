"""Per-call options, declared once: ``Timeout``, the ``CallOptions`` every method takes, and
their coercion into the ``RequestOptions`` the request loop reads.

Resource methods take ``**options: Unpack[CallOptions]`` instead of spelling out
``timeout=``, ``max_retries=`` and ``extra_headers=`` each time: the type checker then rejects a
misspelt or mistyped option on every method, and adding an option is a change in one place.
(Explicit keyword parameters generated from one table would show the same to an IDE, but need a
generator and a check that the copies agree; ``Unpack`` gives the one table without either.)
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TypedDict

import attrs

from ._checks import check_headers, check_seconds
from ._constants import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_TOTAL_TIMEOUT
from ._retry import check_max_retries
from .errors import ConfigurationError, InvalidRequestError

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import Unpack

__all__ = [
    "CallOptions",
    "PollOptions",
    "RequestOptions",
    "Timeout",
    "Unpack",
    "make_options",
    "option_names",
    "reject_unknown",
]


@attrs.frozen(kw_only=True)
class Timeout:
    """Time limits in seconds. ``total`` bounds a whole call including retries and waits
    (``None``: no bound); ``connect`` bounds opening a connection; ``read`` bounds each gap
    between bytes of the answer."""

    total: float | None = DEFAULT_TOTAL_TIMEOUT
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT

    def __attrs_post_init__(self) -> None:
        # Finite only: aiohttp turns an infinite connect limit into an OverflowError, and
        # total=None already means "no bound".
        for name in ("total", "connect", "read"):
            value = getattr(self, name)
            if value is not None or name != "total":
                check_seconds(f"Timeout.{name}", value)

    @classmethod
    def coerce(cls, value: Timeout | float) -> Timeout:
        """A number means the total per-call budget; the other limits keep their defaults."""
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(
                f"timeout must be a number of seconds or a Timeout, got {value!r}"
            )
        return cls(total=check_seconds("timeout", value))


class PollOptions(TypedDict, total=False):
    """The per-request options of a method whose own ``timeout`` is the budget of a whole
    wait (``compositions.wait_for``): :class:`CallOptions` without ``timeout``."""

    max_retries: int | None
    extra_headers: Mapping[str, str] | None


class CallOptions(PollOptions, total=False):
    """What every API method accepts besides its own parameters.

    ``timeout``: the budget of the whole call, retries and waits included (seconds or a
    :class:`Timeout`); ``max_retries``: retries of errors that are safe to repeat (429s have
    their own budget); ``extra_headers``: headers added to this call's requests.
    """

    timeout: Timeout | float | None


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call overrides, validated: what the request loop reads."""

    timeout: Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str] | None = None


NO_OPTIONS = RequestOptions()


def make_options(options: CallOptions) -> RequestOptions:
    """Validate a method's :class:`CallOptions`. Unknown keys are the caller's to refuse (the
    resource layer names the accepted ones); here only the values are checked."""
    if not options:
        return NO_OPTIONS
    timeout = options.get("timeout")
    max_retries = options.get("max_retries")
    extra_headers = options.get("extra_headers")
    if timeout is None and max_retries is None and not extra_headers:
        return NO_OPTIONS
    try:
        return RequestOptions(
            timeout=None if timeout is None else Timeout.coerce(timeout),
            max_retries=None if max_retries is None else check_max_retries(max_retries),
            extra_headers=check_headers(extra_headers, error=InvalidRequestError),
        )
    except ConfigurationError as exc:
        # A per-call argument: bad input of this call, not of the client.
        raise InvalidRequestError(str(exc)) from None


def option_names(typed_dict: type) -> frozenset[str]:
    """The keys a ``TypedDict`` of options declares, inherited ones included."""
    namespace = vars(typed_dict)  # a TypedDict's key sets already include its bases' keys
    return frozenset(namespace["__required_keys__"]) | frozenset(namespace["__optional_keys__"])


def reject_unknown(options: Mapping[str, object], accepted: frozenset[str], where: str) -> None:
    """Refuse option names a function does not take (``**options`` accepts any at run time)."""
    unknown = options.keys() - accepted
    if unknown:
        names = ", ".join(sorted(accepted))
        raise InvalidRequestError(
            f"{where}() has no option {sorted(unknown)[0]!r}; it takes: {names}"
        )
