"""The one settings object (service/config.py): every variable is read there and nowhere else,
secrets never show, and a bad value is refused naming its variable, never echoing the value."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import SecretStr

from service.config import (
    API_ENV,
    FAMILY_ENV,
    PROVIDER_ENV,
    WORKER_ENV,
    CodecSettings,
    ConfigurationError,
    DeliverySettings,
    FamilySettings,
    HttpSettings,
    Settings,
)
from service.codec import new_key_entry

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ["domain", "workflows", "activities", "messaging", "service", "api", "documents", "worker.py",
               "starter.py", "demo.py"]
SENTINEL = "s3cr3t-Sentinel-value"


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in APPLICATION:
        path = ROOT / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read the process environment: os.environ, os.getenv, os.environ.get."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(alias.name in ("environ", "getenv") for alias in node.names):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_each_way_of_reading_the_environment() -> None:
    source = "import os\nfrom os import getenv\na = os.environ['X']\nb = os.getenv('Y')\nc = os.environ.get('Z')\n"
    assert sorted(environment_reads(ast.parse(source))) == [2, 3, 4, 5]


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {}
    for path in _python_files():
        if path == ROOT / "service" / "config.py":
            continue
        lines = environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            readers[str(path.relative_to(ROOT))] = lines
    assert readers == {}, f"read the environment outside service/config.py: {readers}"


def test_the_mapping_given_is_all_that_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYPOINT_TASK_QUEUE", "from-the-process")
    monkeypatch.setenv("WAYPOINT_API_PORT", "9999")
    given = Settings.from_env({})
    assert given.task_queue == "waypoint-journeys" and given.http.port == 8000
    process = Settings.from_env()
    assert process.task_queue == "from-the-process" and process.http.port == 9999


def test_empty_values_mean_unset() -> None:
    settings = Settings.from_env({"WAYPOINT_TASK_QUEUE": "", "WAYPOINT_API_PORT": " ", "WAYPOINT_CASE_LINK_BASE": ""})
    assert settings.task_queue == "waypoint-journeys" and settings.http.port == 8000 and settings.case_link_base is None


def test_each_section_reads_its_own_variables_and_the_lists_are_derived() -> None:
    sections = (Settings, FamilySettings, DeliverySettings, HttpSettings, CodecSettings)
    every = Settings.every_variable()
    assert len(every) == len(set(every)) == sum(len(s.variables()) for s in sections)
    assert PROVIDER_ENV == DeliverySettings.variables() and FAMILY_ENV == FamilySettings.variables()
    known = set(every) | {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}  # the last two: temporalio.envconfig
    assert set(WORKER_ENV) <= known and set(API_ENV) <= known


SECRETS = {
    "TWILIO_AUTH_TOKEN": SENTINEL,
    "RESEND_API_KEY": SENTINEL,
    "SMTP_USERNAME": "waypoint",
    "SMTP_PASSWORD": SENTINEL,
    "WAYPOINT_CONTACT_HASH_KEY": SENTINEL,
    "WAYPOINT_LEDGER_URL": f"postgresql+psycopg://waypoint:{SENTINEL}@db/ledger",
    "WAYPOINT_FAMILY_DB": f"postgresql+psycopg://waypoint:{SENTINEL}@db/family",
    "WAYPOINT_SESSION_STORE_URL": f"postgresql+psycopg://waypoint:{SENTINEL}@db/sessions",
    "WAYPOINT_SESSION_SECRET": SENTINEL * 2,
    "WAYPOINT_COORDINATORS": '{"coordinators": [{"id": "coord-lin", "password_hash": "$argon2id$' + SENTINEL + '"}]}',
    "RESEND_WEBHOOK_SECRET": "whsec_" + SENTINEL,
    "WAYPOINT_CODEC_TOKEN": SENTINEL,
}


def test_secrets_never_show_in_the_settings() -> None:
    payload_keys = new_key_entry("k1")
    settings = Settings.from_env({**SECRETS, "WAYPOINT_PAYLOAD_KEYS": payload_keys, "WAYPOINT_DOCUMENT_KEYS": payload_keys})
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert SENTINEL not in shown and payload_keys.split(":")[1] not in shown
    assert settings.delivery.smtp_password == SecretStr(SENTINEL)  # kept, only hidden
    assert settings.codec.payload_keys is not None and settings.codec.payload_keys.get_secret_value() == payload_keys


@pytest.mark.parametrize("name", Settings.every_variable())
def test_a_bad_value_names_its_variable_and_never_shows_the_value(name: str) -> None:
    """Every variable given a value no rule allows (or, for free text, one that breaks the
    settings around it): the error names the variable and holds nothing of the value."""
    hostile = f"{SENTINEL}:%%\n{{"
    try:
        Settings.from_env({name: hostile})
    except ConfigurationError as err:
        assert name in str(err), str(err)
        assert SENTINEL not in str(err) and "%%" not in str(err)
        assert err.__cause__ is None and err.__suppress_context__  # no chained error that holds the value
    else:  # free text (a name, a path, a host): accepted as it is, and a secret stays hidden
        settings = Settings.from_env({name: hostile})
        assert SENTINEL not in repr(settings) or name not in SECRETS


@pytest.mark.parametrize(("env", "variable"), [
    ({"WAYPOINT_FAMILY_LINK_DAYS": "0"}, "WAYPOINT_FAMILY_LINK_DAYS"),
    ({"WAYPOINT_FAMILY_LINK_DAYS": "366"}, "WAYPOINT_FAMILY_LINK_DAYS"),
    ({"WAYPOINT_UPLOAD_MAX_FILES": "51"}, "WAYPOINT_UPLOAD_MAX_FILES"),
    ({"WAYPOINT_API_MAX_BODY_BYTES": "100"}, "WAYPOINT_API_MAX_BODY_BYTES"),
    ({"WAYPOINT_API_PORT": "70000"}, "WAYPOINT_API_PORT"),
    ({"WAYPOINT_SENDER_NAME": "x" * 21}, "WAYPOINT_SENDER_NAME"),
    ({"WAYPOINT_CASE_LINK_BASE": "https://" + "p" * 60}, "WAYPOINT_CASE_LINK_BASE"),
    ({"WAYPOINT_PUBLIC_BASE_URL": "https://" + "p" * 60}, "WAYPOINT_PUBLIC_BASE_URL"),
    ({"WAYPOINT_LOG_LEVEL": "chatty"}, "WAYPOINT_LOG_LEVEL"),
    ({"WAYPOINT_COORDINATORS": "{}"}, "WAYPOINT_SESSION_SECRET"),
    ({"WAYPOINT_SESSION_SECRET": "too-short"}, "WAYPOINT_SESSION_SECRET"),
    ({"WAYPOINT_CODEC_TOKENS": "not-a-hash"}, "WAYPOINT_CODEC_TOKENS"),
    ({"WAYPOINT_PAYLOAD_KEYS": "k1:c2hvcnQ="}, "WAYPOINT_PAYLOAD_KEYS"),
    ({"WAYPOINT_DOCUMENT_KEYS": "no-colon"}, "WAYPOINT_DOCUMENT_KEYS"),
    ({"WAYPOINT_SMS_PROVIDER": "twilio"}, "TWILIO_ACCOUNT_SID"),
    ({"WAYPOINT_INBOUND_EVENTS_KEEP_DAYS": "1"}, "WAYPOINT_INBOUND_EVENTS_KEEP_DAYS"),
    ({"WAYPOINT_INBOUND_EVENTS_KEEP_DAYS": "thirty"}, "WAYPOINT_INBOUND_EVENTS_KEEP_DAYS"),
])
def test_each_rule_is_enforced_when_the_settings_are_read(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env(env)


def test_values_are_read_into_their_types() -> None:
    settings = Settings.from_env({"WAYPOINT_FAMILY_LINK_DAYS": "7", "WAYPOINT_FRESH_LINK_EVERY_MINUTES": "15",
                                  "WAYPOINT_LOG_LEVEL": "debug", "WAYPOINT_SMS_PROVIDER": " Outbox ",
                                  "WAYPOINT_CODEC_CORS_ORIGINS": "http://a.example, http://b.example",
                                  "WAYPOINT_CASE_LINK_BASE": "https://portal.example/cases/",
                                  "WAYPOINT_PUBLIC_BASE_URL": "https://care.example/"})
    assert settings.family.link_valid_for.days == 7 and settings.family.fresh_link_every.total_seconds() == 900
    assert settings.log_level == "DEBUG" and settings.delivery.sms_provider == "outbox"
    assert settings.codec.cors_origins == ("http://a.example", "http://b.example")
    assert settings.case_link_base == "https://portal.example/cases"
    assert settings.family.link_base == "https://care.example/family" and settings.family.public_base_url_given
    assert not Settings.from_env({}).family.public_base_url_given
