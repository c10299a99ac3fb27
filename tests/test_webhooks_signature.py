"""RequestValidator: Twilio's published vectors, URL variants, repeated keys, JSON bodies,
SharedKey (HMAC-SHA256) signing and secret hygiene."""

from __future__ import annotations

import base64
import hmac
import pickle
from typing import Any

import pytest
from multidict import MultiDict
from starlette.datastructures import FormData

from twvideo_async.errors import ConfigurationError, TwilioVideoError
from twvideo_async.webhooks import (
    InvalidSignature,
    RequestValidator,
    SignatureAlgorithm,
    WebhookConfigurationError,
    WebhookError,
)

TOKEN = "12345"

# Twilio's documented example ("Validating requests are coming from Twilio").
DOC_URL = "https://example.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOC_SIGNATURE = "L/OH5YylLD5NRKLltdqwSvS0BnU="

# twilio-python's unit-test vectors.
LIB_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
LIB_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
LIB_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
LIB_SIGNATURE_HTTPS_443 = "kvajT1Ptam85bY51eRf/AJRuM3w="
LIB_SIGNATURE_HTTP_1234 = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
LIB_SIGNATURE_HTTP_80 = "0ZXoZLH/DfblKGATFgpif+LLRf4="
LIB_DUPLICATES: list[tuple[str, Any]] = [
    ("Sid", "CA123"),
    ("SidAccount", "AC123"),
    ("Digits", "5678"),
    ("Digits", "1234"),
    ("Digits", "1234"),
]
LIB_DUPLICATES_SIGNATURE = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
LIB_BODY = '{"property": "value", "boolean": true}'
LIB_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
LIB_BODY_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="


@pytest.fixture
def validator() -> RequestValidator:
    return RequestValidator(TOKEN)


def _sign(key: str, data: str, digest: str = "sha1") -> str:
    return base64.b64encode(hmac.new(key.encode(), data.encode(), digest).digest()).decode()


def test_documented_vector(validator: RequestValidator) -> None:
    assert validator.compute_signature(DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert validator.validate(DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_library_vector(validator: RequestValidator) -> None:
    assert validator.compute_signature(LIB_URL, LIB_PARAMS) == LIB_SIGNATURE
    assert validator.validate(LIB_URL, LIB_PARAMS, LIB_SIGNATURE)


def test_signed_string_is_url_then_sorted_name_value_pairs(validator: RequestValidator) -> None:
    params = {"b": "2", "a": "1", "B": "3"}  # code-point order: "B" < "a" < "b"
    expected = _sign(TOKEN, "https://h.example/cb" + "B3" + "a1" + "b2")
    assert validator.compute_signature("https://h.example/cb", params) == expected


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        pytest.param(LIB_URL, LIB_SIGNATURE, id="as-signed"),
        pytest.param(LIB_URL.replace(".com", ".com:443"), LIB_SIGNATURE, id="port-present"),
        pytest.param(LIB_URL, LIB_SIGNATURE_HTTPS_443, id="signed-with-443"),
        pytest.param(LIB_URL.replace(".com", ".com:1234"), LIB_SIGNATURE, id="any-port-stripped"),
        pytest.param(
            LIB_URL.replace("https", "http").replace(".com", ".com:1234"),
            LIB_SIGNATURE_HTTP_1234,
            id="http-with-port",
        ),
        pytest.param(
            LIB_URL.replace("https", "http"), LIB_SIGNATURE_HTTP_80, id="http-signed-with-80"
        ),
    ],
)
def test_port_variants(validator: RequestValidator, url: str, signature: str) -> None:
    assert validator.validate(url, LIB_PARAMS, signature)


def test_wrong_port_signature_is_rejected(validator: RequestValidator) -> None:
    # Signed with :443 but the request is plain http: the added default port is 80.
    assert not validator.validate(
        LIB_URL.replace("https", "http"), LIB_PARAMS, LIB_SIGNATURE_HTTPS_443
    )


def test_credentials_in_url_are_dropped(validator: RequestValidator) -> None:
    url = LIB_URL.replace("https://", "https://user:p%40ss@")
    assert validator.validate(url, LIB_PARAMS, LIB_SIGNATURE)
    assert validator.compute_signature(url, LIB_PARAMS) == LIB_SIGNATURE
    assert validator.validate(url.replace(".com", ".com:443"), LIB_PARAMS, LIB_SIGNATURE)


def test_ipv6_host_port_variants(validator: RequestValidator) -> None:
    signature = validator.compute_signature("https://[::1]/cb", {"A": "1"})
    assert validator.validate("https://[::1]:8443/cb", {"A": "1"}, signature)
    assert validator.validate("https://[::1]:443/cb", {"A": "1"}, signature)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(MultiDict(LIB_DUPLICATES), id="multidict"),
        pytest.param(LIB_DUPLICATES, id="pairs"),
        pytest.param(FormData(list(LIB_DUPLICATES)), id="starlette-formdata"),
    ],
)
def test_repeated_keys(validator: RequestValidator, params: object) -> None:
    # Every distinct value, values sorted, duplicates removed (Twilio's Python validator).
    assert validator.compute_signature(LIB_URL, params) == LIB_DUPLICATES_SIGNATURE  # type: ignore[arg-type]
    assert validator.validate(LIB_URL, params, LIB_DUPLICATES_SIGNATURE)  # type: ignore[arg-type]


def test_repeated_key_with_one_value_dropped_fails(validator: RequestValidator) -> None:
    assert not validator.validate(LIB_URL, LIB_DUPLICATES[:3], LIB_DUPLICATES_SIGNATURE)


def test_json_body_vector(validator: RequestValidator) -> None:
    url = f"{LIB_URL}&bodySHA256={LIB_BODY_HASH}"
    assert validator.validate(url, None, LIB_BODY_SIGNATURE, body=LIB_BODY)
    assert validator.validate(url, None, LIB_BODY_SIGNATURE, body=LIB_BODY.encode())


def test_json_body_tampered(validator: RequestValidator) -> None:
    url = f"{LIB_URL}&bodySHA256={LIB_BODY_HASH}"
    with pytest.raises(InvalidSignature, match="bodySHA256"):
        validator.check(url, None, LIB_BODY_SIGNATURE, body=LIB_BODY.replace("value", "other"))


def test_json_body_without_hash_in_url_is_rejected(validator: RequestValidator) -> None:
    signature = validator.compute_signature(LIB_URL)
    with pytest.raises(InvalidSignature, match="no bodySHA256"):
        validator.check(LIB_URL, None, signature, body=LIB_BODY)


def test_get_callback_signs_the_query_string(validator: RequestValidator) -> None:
    url = "https://h.example/cb?StatusCallbackEvent=room-created&RoomSid=RM1"
    signature = _sign(TOKEN, url)
    assert validator.validate(url, None, signature)
    assert validator.validate(url, {}, signature)
    assert not validator.validate(url.replace("RM1", "RM2"), None, signature)


def test_tampered_parameter(validator: RequestValidator) -> None:
    assert not validator.validate(LIB_URL, {**LIB_PARAMS, "Digits": "9999"}, LIB_SIGNATURE)
    assert not validator.validate(LIB_URL, {**LIB_PARAMS, "Extra": ""}, LIB_SIGNATURE)


def test_whitespace_is_significant(validator: RequestValidator) -> None:
    assert not validator.validate(LIB_URL, {**LIB_PARAMS, "To": " +18005551212"}, LIB_SIGNATURE)


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature(validator: RequestValidator, signature: str | None) -> None:
    assert not validator.validate(LIB_URL, LIB_PARAMS, signature)
    with pytest.raises(InvalidSignature, match="missing X-Twilio-Signature"):
        validator.check(LIB_URL, LIB_PARAMS, signature)


def test_non_ascii_signature_is_just_invalid(validator: RequestValidator) -> None:
    assert not validator.validate(LIB_URL, LIB_PARAMS, "sïgnature")


def test_other_token_fails() -> None:
    assert not RequestValidator("54321").validate(LIB_URL, LIB_PARAMS, LIB_SIGNATURE)


def test_non_text_values_are_refused(validator: RequestValidator) -> None:
    with pytest.raises(TypeError, match="'Upload' has a bytes value"):
        validator.compute_signature(LIB_URL, {"Upload": b"data"})


def test_relative_url_is_a_usage_error(validator: RequestValidator) -> None:
    with pytest.raises(ValueError, match="absolute"):
        validator.validate("/cb", LIB_PARAMS, LIB_SIGNATURE)


# --- SharedKey signing (X-Twilio-Webhooks-Signature-Settings) ---------------------------------

SHARED = "shared-key-secret-0123456789"


def test_hmac_sha256_with_shared_key() -> None:
    validator = RequestValidator(TOKEN, shared_key_secret=SHARED)
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=KS123,algorithm=HMAC_SHA256"}
    data = LIB_URL + "".join(k + v for k, v in sorted(LIB_PARAMS.items()))
    signature = _sign(SHARED, data, "sha256")
    assert validator.validate(LIB_URL, LIB_PARAMS, signature, headers=headers)
    assert (
        validator.compute_signature(
            LIB_URL, LIB_PARAMS, signature_settings=headers["X-Twilio-Webhooks-Signature-Settings"]
        )
        == signature
    )
    # Header names are case-insensitive even in a plain dict.
    lower = {k.lower(): v for k, v in headers.items()}
    assert validator.validate(LIB_URL, LIB_PARAMS, signature, headers=lower)
    # The Auth Token's SHA-1 signature does not pass when the header asks for the shared key.
    assert not validator.validate(LIB_URL, LIB_PARAMS, LIB_SIGNATURE, headers=headers)
    # Without the header the Auth Token and HMAC-SHA1 still apply.
    assert validator.validate(LIB_URL, LIB_PARAMS, LIB_SIGNATURE, headers={})


def test_shared_key_rotation_mapping() -> None:
    validator = RequestValidator(TOKEN, shared_key_secret={"KSold": "old-secret", "KSnew": SHARED})
    settings = "algorithm=HMAC_SHA256, key=KSnew"
    signature = validator.compute_signature(LIB_URL, LIB_PARAMS, signature_settings=settings)
    assert signature == _sign(
        SHARED, LIB_URL + "".join(k + v for k, v in sorted(LIB_PARAMS.items())), "sha256"
    )
    headers = {"X-Twilio-Webhooks-Signature-Settings": settings}
    assert validator.validate(LIB_URL, LIB_PARAMS, signature, headers=headers)
    unknown = {"X-Twilio-Webhooks-Signature-Settings": "key=KSother,algorithm=HMAC_SHA256"}
    with pytest.raises(InvalidSignature, match="SharedKey this validator does not know"):
        validator.check(LIB_URL, LIB_PARAMS, signature, headers=unknown)


def test_shared_key_sha1_algorithm() -> None:
    validator = RequestValidator(TOKEN, shared_key_secret=SHARED)
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA1"}
    signature = _sign(SHARED, LIB_URL + "".join(k + v for k, v in sorted(LIB_PARAMS.items())))
    assert validator.validate(LIB_URL, LIB_PARAMS, signature, headers=headers)


@pytest.mark.parametrize("settings", ["key=KS1,algorithm=HMAC_MD5", "key=KS1", ""])
def test_unsupported_algorithm_is_rejected(settings: str) -> None:
    validator = RequestValidator(TOKEN, shared_key_secret=SHARED)
    headers = {"X-Twilio-Webhooks-Signature-Settings": settings}
    with pytest.raises(InvalidSignature, match="unsupported or missing algorithm"):
        validator.check(LIB_URL, LIB_PARAMS, "x", headers=headers)


def test_settings_header_without_shared_key_is_an_invalid_signature(
    validator: RequestValidator,
) -> None:
    # Anyone can send the header: it must not turn a stranger's request into a server error.
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA256"}
    assert validator.validate(LIB_URL, LIB_PARAMS, "x", headers=headers) is False
    with pytest.raises(InvalidSignature, match="shared_key_secret"):
        validator.check(LIB_URL, LIB_PARAMS, "x", headers=headers)
    with pytest.raises(WebhookConfigurationError, match="shared_key_secret"):
        validator.compute_signature(
            LIB_URL, LIB_PARAMS, signature_settings=headers["X-Twilio-Webhooks-Signature-Settings"]
        )


def test_algorithm_enum_values() -> None:
    assert SignatureAlgorithm("HMAC_SHA256") is SignatureAlgorithm.HMAC_SHA256
    assert SignatureAlgorithm.HMAC_SHA1 == "HMAC_SHA1"


# --- configuration and hygiene ----------------------------------------------------------------


@pytest.mark.parametrize("token", ["", None, b"12345"])
def test_token_must_be_a_non_empty_string(token: object) -> None:
    with pytest.raises(WebhookConfigurationError, match="primary Auth Token"):
        RequestValidator(token)  # type: ignore[arg-type]


@pytest.mark.parametrize("shared", ["", {}, {"KS1": ""}])
def test_shared_key_must_not_be_empty(shared: object) -> None:
    with pytest.raises(WebhookConfigurationError, match="shared_key_secret"):
        RequestValidator(TOKEN, shared_key_secret=shared)  # type: ignore[arg-type]


def test_repr_and_errors_never_show_secrets() -> None:
    token = "tok-" + "9" * 28
    validator = RequestValidator(token, shared_key_secret=SHARED)
    assert token not in repr(validator) and SHARED not in repr(validator)
    assert "<redacted>" in repr(validator)
    expected = validator.compute_signature(LIB_URL, LIB_PARAMS)
    with pytest.raises(InvalidSignature) as info:
        validator.check(LIB_URL, {**LIB_PARAMS, "Digits": "0"}, expected)
    text = f"{info.value} {info.value!r}"
    for secret in (token, SHARED, expected, "mycompany.com"):
        assert secret not in text


def test_exception_hierarchy() -> None:
    assert issubclass(InvalidSignature, WebhookError)
    assert issubclass(WebhookError, TwilioVideoError)
    assert issubclass(WebhookConfigurationError, ConfigurationError)
    err = pickle.loads(pickle.dumps(InvalidSignature("signature mismatch")))
    assert err.reason == "signature mismatch"
