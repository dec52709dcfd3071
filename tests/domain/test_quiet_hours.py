from datetime import datetime, time, timezone

import pytest

from domain.policy import QuietHours
from domain.quiet_hours import next_allowed_time

UTC = timezone.utc
NIGHT = QuietHours()  # 21:00-08:00


def test_daytime_is_sent_at_once():
    at = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 11:00 in Almaty (UTC+5)
    assert next_allowed_time(at, "Asia/Almaty", NIGHT) == at


def test_late_evening_waits_for_next_morning_local():
    at = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 23:00 in Almaty
    assert next_allowed_time(at, "Asia/Almaty", NIGHT) == datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 08:00 local


def test_early_morning_waits_until_eight_same_day():
    at = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 05:30 in Almaty
    assert next_allowed_time(at, "Asia/Almaty", NIGHT) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_window_edges():
    tz = "Europe/London"  # UTC+0 in January
    assert next_allowed_time(datetime(2026, 1, 5, 20, 59, tzinfo=UTC), tz, NIGHT).hour == 20
    assert next_allowed_time(datetime(2026, 1, 5, 21, 0, tzinfo=UTC), tz, NIGHT) == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert next_allowed_time(datetime(2026, 1, 6, 8, 0, tzinfo=UTC), tz, NIGHT) == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)


def test_daylight_saving_change_keeps_local_wall_time():
    # Night of the spring-forward change in London (29 March 2026): 08:00 local is 07:00 UTC.
    at = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert next_allowed_time(at, "Europe/London", NIGHT) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_daytime_window_that_does_not_wrap():
    siesta = QuietHours(start=time(13, 0), end=time(15, 0))
    at = datetime(2026, 6, 1, 13, 30, tzinfo=UTC)
    assert next_allowed_time(at, "UTC", siesta) == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    assert next_allowed_time(datetime(2026, 6, 1, 16, 0, tzinfo=UTC), "UTC", siesta).hour == 16


def test_empty_window_never_defers():
    always = QuietHours(start=time(0, 0), end=time(0, 0))
    at = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert next_allowed_time(at, "UTC", always) == at


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        next_allowed_time(datetime(2026, 6, 1, 3, 0), "UTC", NIGHT)
