"""The API's wiring from the one settings object: the keys, accounts and webhook secret are
parsed when the API starts, and a bad one is refused naming its variable, never its value."""

from __future__ import annotations

import pytest

from api.app import ApiSettings
from service.config import Settings

SENTINEL = "s3cr3t-Sentinel-value"
SESSION = {"WAYPOINT_SESSION_SECRET": "x" * 40}


@pytest.mark.parametrize(("name", "value"), [
    ("WAYPOINT_API_KEYS", f"billing:{SENTINEL}"),
    ("WAYPOINT_API_KEYS", f"{SENTINEL}\n"),
    ("WAYPOINT_COORDINATORS", '{"coordinators": [{"id": "' + SENTINEL + '", "password_hash": "x"}]}'),
    ("WAYPOINT_COORDINATORS", "{" + SENTINEL),
    ("WAYPOINT_COORDINATORS", f"/nowhere/{SENTINEL}.toml"),
    ("RESEND_WEBHOOK_SECRET", f"whsec_{SENTINEL}%%"),
])
def test_a_bad_api_setting_names_its_variable_and_never_its_value(name: str, value: str) -> None:
    settings = Settings.from_env({name: value, **SESSION})
    with pytest.raises(ValueError) as refused:
        ApiSettings.from_settings(settings)
    assert name in str(refused.value) and SENTINEL not in str(refused.value)


def test_the_api_is_wired_from_the_settings() -> None:
    from api.keys import hash_key

    settings = Settings.from_env({"WAYPOINT_API_KEYS": f"billing:{hash_key('wpk_x')}", "WAYPOINT_API_MAX_BODY_BYTES": "2048",
                                  "WAYPOINT_PUBLIC_BASE_URL": "https://care.example", "TWILIO_AUTH_TOKEN": SENTINEL})
    api = ApiSettings.from_settings(settings)
    assert api.keys.verify("wpk_x") == "billing" and api.max_body_bytes == 2048
    assert api.webhooks.public_base_url == "https://care.example" and api.secure_cookies
    assert api.webhooks.twilio_auth_token == SENTINEL and SENTINEL not in repr(api)
    assert ApiSettings.from_settings(Settings.from_env({})).webhooks.public_base_url is None  # Twilio signs the request URL
