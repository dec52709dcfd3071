from datetime import datetime, timedelta, timezone

import pytest

from domain.opt_out import Keyword, keyword
from domain.sms_caps import SmsCaps, next_sms_allowed

T = datetime(2026, 5, 1, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "body",
    ["STOP", "stop", "  Stop  ", "STOP.", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke",
     "OPT OUT", "opt   out", "Opt-Out", "退订", "TD", "停止", "СТОП", "Стоп!", "отписаться", "إيقاف", "\u200fإلغاء الاشتراك"],
)
def test_stop_words_in_any_case_spacing_and_language(body):
    assert keyword(body.replace("-", " ")) == Keyword.STOP


@pytest.mark.parametrize("body", ["START", "start", " Start ", "UNSTOP", "СТАРТ", "开始", "ابدأ"])
def test_only_explicit_start_resubscribes(body):
    assert keyword(body) == Keyword.START


@pytest.mark.parametrize(
    "body", ["yes", "Please stop sending me the reminders about the bone marrow report", "stopp", "ok", "", "STOP IT NOW"]
)
def test_other_text_is_not_a_command(body):
    assert keyword(body) is None


def test_first_sms_is_always_allowed():
    assert next_sms_allowed([], T, SmsCaps()) == T


def test_one_a_day():
    sent = [T - timedelta(hours=5)]
    assert next_sms_allowed(sent, T, SmsCaps()) == T + timedelta(hours=19)
    assert next_sms_allowed([T - timedelta(hours=25)], T, SmsCaps()) == T


def test_three_a_week():
    sent = [T - timedelta(days=6), T - timedelta(days=4), T - timedelta(days=2)]
    assert next_sms_allowed(sent, T, SmsCaps()) == T + timedelta(days=1)  # the oldest leaves the window


def test_caps_are_configurable():
    sent = [T - timedelta(hours=3)]
    assert next_sms_allowed(sent, T, SmsCaps(per_day=2, per_week=10)) == T
