from datetime import datetime, timezone

import pytest

from twvideo_async._retry import (
    Failure,
    RetryPolicy,
    backoff_delay,
    check_max_retries,
    classify_status,
    parse_retry_after,
)
from twvideo_async.errors import ConfigurationError


def decide(failure: Failure, *, idempotent: bool, retries: int = 0, limited: int = 0, ra=None):  # type: ignore[no-untyped-def]
    return RetryPolicy().decide(
        failure,
        idempotent=idempotent,
        retries_taken=retries,
        rate_limit_retries_taken=limited,
        retry_after=ra,
        rng=lambda: 0.0,
    )


@pytest.mark.parametrize("idempotent", [True, False])
def test_429_and_never_sent_are_retried_for_every_method(idempotent: bool) -> None:
    assert decide(Failure.RATE_LIMITED, idempotent=idempotent).delay is not None
    assert decide(Failure.NOT_SENT, idempotent=idempotent).delay is not None


@pytest.mark.parametrize("failure", [Failure.SERVER_ERROR, Failure.TIMEOUT, Failure.DISCONNECTED])
def test_unsafe_failures_only_retried_when_idempotent(failure: Failure) -> None:
    assert decide(failure, idempotent=True).delay is not None
    assert decide(failure, idempotent=False).delay is None
    opted_in = RetryPolicy(retry_unsafe=True).decide(
        failure, idempotent=False, retries_taken=0, rate_limit_retries_taken=0, retry_after=None
    )
    assert opted_in.delay is not None


def test_client_errors_are_never_retried() -> None:
    assert decide(Failure.CLIENT_ERROR, idempotent=True).delay is None


def test_budgets_are_separate_for_errors_and_429() -> None:
    assert decide(Failure.SERVER_ERROR, idempotent=True, retries=2).delay is None
    assert decide(Failure.RATE_LIMITED, idempotent=True, retries=2).delay is not None
    assert decide(Failure.RATE_LIMITED, idempotent=True, limited=8).delay is None


def test_retry_after_honoured_up_to_the_cap_then_raised_with_value() -> None:
    within = decide(Failure.RATE_LIMITED, idempotent=False, ra=3.5)
    assert within.delay == 3.5
    above = decide(Failure.RATE_LIMITED, idempotent=False, ra=61.0)
    assert above.delay is None and above.retry_after == 61.0
    assert "cap" in above.reason


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert backoff_delay(0, lambda: 0.0) == 0.25
    assert backoff_delay(0, lambda: 1.0) == 0.5
    assert backoff_delay(1, lambda: 1.0) == 1.0
    assert backoff_delay(10, lambda: 1.0) == 8.0
    assert backoff_delay(10_000, lambda: 0.0) == 4.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"Retry-After": " 7 "}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "Wed, 01 May 2024 12:00:30 GMT"}, 30.0),
        ({"Retry-After": "Wed, 01 May 2024 11:00:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after(headers, now=now) == expected


def test_status_classification() -> None:
    assert classify_status(429) is Failure.RATE_LIMITED
    for status in (408, 500, 502, 503, 504, 599):
        assert classify_status(status) is Failure.SERVER_ERROR
    for status in (400, 401, 404, 409, 501):
        assert classify_status(status) is None


def test_max_retries_none_is_rejected_with_guidance() -> None:
    with pytest.raises(ConfigurationError, match="pass 0 to disable"):
        check_max_retries(None)
    with pytest.raises(ConfigurationError, match=">= 0"):
        check_max_retries(-1)
    with pytest.raises(ConfigurationError):
        check_max_retries(True)


def test_a_calls_repeated_429s_wait_at_least_the_backoff_after_the_second() -> None:
    policy = RetryPolicy()

    def delay(limited: int, retry_after: float | None, rng: float = 0.0) -> float | None:
        return policy.decide(
            Failure.RATE_LIMITED,
            idempotent=True,
            retries_taken=0,
            rate_limit_retries_taken=limited,
            retry_after=retry_after,
            rng=lambda: rng,
        ).delay

    # The first two 429s of a call wait exactly what the server said, however short.
    assert delay(0, 0.008) == delay(1, 0.008) == 0.008
    # From the third on: the usual backoff (0.5 s x 2**n x U(0.5, 1)) unless the server asks
    # for longer, so eight retries span seconds instead of eight 8 ms waits.
    assert [delay(n, 0.008) for n in range(2, 8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert delay(2, 0.008, rng=1.0) == 0.5
    assert delay(3, 3.0) == 3.0  # a longer Retry-After still wins
    assert delay(8, 0.008) is None  # the budget still ends the call
    # Errors other than 429 keep the server's Retry-After as before.
    assert (
        policy.decide(
            Failure.SERVER_ERROR,
            idempotent=True,
            retries_taken=1,
            rate_limit_retries_taken=5,
            retry_after=0.008,
        ).delay
        == 0.008
    )
