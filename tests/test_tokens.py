"""AccessToken: Twilio's JWT format checked by decoding with PyJWT, validation, secret hygiene."""

from __future__ import annotations

import base64
import json
import pickle
from datetime import datetime, timezone
from typing import Any

import jwt
import pytest

from twvideo_async.errors import InvalidRequestError, TwilioVideoError
from twvideo_async.tokens import MAX_TTL, AccessToken, AccessTokenError, Grant, VideoGrant

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "fedcba9876543210" * 2
SECRET = "api-key-secret-" + "s" * 32  # >= 32 bytes keeps PyJWT from warning about HS256
NOW = 1_800_000_000


def _token(**kwargs: Any) -> AccessToken:
    kwargs.setdefault("identity", "alice")
    return AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, **kwargs)


def _decode(token: str) -> dict[str, Any]:
    # Tokens minted at the fixed NOW are not valid by the real clock: skip PyJWT's time checks
    # (the signature is still verified) and compare the time claims exactly instead.
    claims: dict[str, Any] = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    return claims


def test_header_and_claims() -> None:
    token = _token(grants=[VideoGrant(room="standup")], ttl=600).to_jwt(now=NOW)
    assert jwt.get_unverified_header(token) == {
        "typ": "JWT",
        "alg": "HS256",
        "cty": "twilio-fpa;v=1",
    }
    assert _decode(token) == {
        "jti": f"{API_KEY_SID}-{NOW}",
        "iss": API_KEY_SID,
        "sub": ACCOUNT_SID,
        "iat": NOW,
        "exp": NOW + 600,
        "grants": {"identity": "alice", "video": {"room": "standup"}},
    }


def test_signature_is_checked_with_the_api_key_secret() -> None:
    token = _token(grants=[VideoGrant()]).to_jwt()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "wrong-secret-" + "w" * 32, algorithms=["HS256"])
    # Valid right now against the real clock, with PyJWT's own exp/iat checks.
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


def test_compact_encoding_has_no_padding() -> None:
    token = _token(grants=[VideoGrant(room="r")]).to_jwt(now=NOW)
    _, payload, signature = token.split(".")
    assert "=" not in token
    padded = payload + "=" * (-len(payload) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded))["sub"] == ACCOUNT_SID
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 32


def test_any_room_grant_and_no_grant() -> None:
    assert _decode(_token(grants=[VideoGrant()]).to_jwt(now=NOW))["grants"] == {
        "identity": "alice",
        "video": {},
    }
    assert _decode(_token().to_jwt(now=NOW))["grants"] == {"identity": "alice"}


def test_single_grant_is_accepted() -> None:
    token = _token(grants=VideoGrant(room="RM" + "1" * 32))
    assert token.grants == (VideoGrant(room="RM" + "1" * 32),)


def test_not_before_and_region() -> None:
    when = datetime.fromtimestamp(NOW + 60, tz=timezone.utc)
    token = _token(not_before=when, region="ie1").to_jwt(now=NOW)
    assert _decode(token)["nbf"] == NOW + 60
    assert jwt.get_unverified_header(token)["twr"] == "ie1"
    assert _decode(_token(not_before=NOW).to_jwt(now=NOW))["nbf"] == NOW
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(_token(not_before=2**40).to_jwt(), SECRET, algorithms=["HS256"])


def test_unicode_identity_round_trips() -> None:
    claims = _decode(_token(identity="Zoë 🎥").to_jwt(now=NOW))
    assert claims["grants"]["identity"] == "Zoë 🎥"


def test_custom_grant_protocol() -> None:
    class ChatLikeGrant:
        key = "chat"

        def to_payload(self) -> dict[str, Any]:
            return {"service_sid": "IS1"}

    assert isinstance(ChatLikeGrant(), Grant)
    claims = _decode(_token(grants=[VideoGrant(), ChatLikeGrant()]).to_jwt(now=NOW))
    assert claims["grants"]["chat"] == {"service_sid": "IS1"}


@pytest.mark.parametrize("ttl", [1, 3600, MAX_TTL])
def test_ttl_bounds_accepted(ttl: int) -> None:
    assert _decode(_token(ttl=ttl).to_jwt(now=NOW))["exp"] == NOW + ttl


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        (0, "between 1 and 86400"),
        (-5, "between 1 and 86400"),
        (MAX_TTL + 1, "between 1 and 86400"),
        (1.5, "whole number"),
        (True, "whole number"),
    ],
)
def test_ttl_rejected(ttl: Any, message: str) -> None:
    with pytest.raises(AccessTokenError, match=message):
        _token(ttl=ttl)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"account_sid": "AC123"}, "account_sid must be 'AC'"),
        ({"account_sid": API_KEY_SID}, "account_sid must be 'AC'"),
        ({"api_key_sid": ACCOUNT_SID}, "api_key_sid must be an API key SID"),
        ({"api_key_sid": "SK" + "g" * 32}, "api_key_sid must be an API key SID"),
        ({"api_key_secret": ""}, "api_key_secret must be"),
        ({"identity": ""}, "identity is required"),
        ({"identity": "   "}, "identity is required"),
        ({"grants": ["video"]}, "grants must be grant objects"),
        ({"grants": [VideoGrant(), VideoGrant(room="x")]}, "two grants of the same kind"),
        ({"not_before": datetime(2030, 1, 1)}, "timezone-aware"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    args = {
        "account_sid": ACCOUNT_SID,
        "api_key_sid": API_KEY_SID,
        "api_key_secret": SECRET,
        "identity": "alice",
        **kwargs,
    }
    with pytest.raises(AccessTokenError, match=message) as info:
        AccessToken(
            args.pop("account_sid"), args.pop("api_key_sid"), args.pop("api_key_secret"), **args
        )
    assert SECRET not in str(info.value)


def test_identity_is_required() -> None:
    with pytest.raises(TypeError):
        AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET)  # type: ignore[call-arg]


def test_empty_room_rejected() -> None:
    with pytest.raises(AccessTokenError, match="room"):
        VideoGrant(room="")


def test_error_hierarchy() -> None:
    assert issubclass(AccessTokenError, InvalidRequestError)
    assert issubclass(AccessTokenError, ValueError)
    assert issubclass(AccessTokenError, TwilioVideoError)


def test_repr_never_shows_the_secret() -> None:
    token = _token(grants=[VideoGrant(room="standup")])
    assert SECRET not in repr(token) and SECRET not in str(token)
    assert "identity='alice'" in repr(token) and API_KEY_SID in repr(token)


def test_token_is_immutable_and_pickles() -> None:
    token = _token()
    with pytest.raises(AttributeError):
        token.identity = "mallory"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(token)) == token
