"""The operations settings (service/config.py): off when unset, and a bad value is refused
with the variable's name before anything starts."""

from __future__ import annotations

import pytest

from service.config import Settings


def test_operations_are_off_unless_set() -> None:
    settings = Settings.from_env({})
    assert (settings.metrics_address, settings.health_address, settings.otlp_endpoint, settings.log_dir) == (None,) * 4
    assert settings.process_name.startswith("worker-")


def test_operations_settings_are_read() -> None:
    settings = Settings.from_env({"WAYPOINT_METRICS_ADDRESS": "0.0.0.0:9464", "WAYPOINT_HEALTH_ADDRESS": "127.0.0.1:8081",
                                  "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "WAYPOINT_LOG_DIR": "/data/logs",
                                  "WAYPOINT_PROCESS_NAME": "worker-1"})
    assert settings.metrics_address == "0.0.0.0:9464" and settings.health_address == "127.0.0.1:8081"
    assert settings.otlp_endpoint == "http://collector:4318" and str(settings.log_dir) == "/data/logs"
    assert settings.process_name == "worker-1"


@pytest.mark.parametrize(("name", "value"), [
    ("WAYPOINT_METRICS_ADDRESS", "9464"),
    ("WAYPOINT_METRICS_ADDRESS", "127.0.0.1:http"),
    ("WAYPOINT_HEALTH_ADDRESS", "127.0.0.1:70000"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
    ("WAYPOINT_PROCESS_NAME", "../../etc/cron.d/x"),
    ("WAYPOINT_PROCESS_NAME", "worker 1"),
])
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
