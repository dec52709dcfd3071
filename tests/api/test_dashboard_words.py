"""Every word the dashboard shows by key exists: a reason, a 'done' note or an error message
with no words is a defect caught here, not a code shown to a coordinator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.dashboard.i18n import MESSAGES, Words
from api.dashboard.routes import _DONE
from domain.digest import TIMEKEEPING_ALERTS


def test_every_reason_and_done_note_has_words():
    reasons = {"r_escalated", "r_overdue", "r_deadline", "r_delivery", "r_visa", "r_ready", "r_appointment_soon", "r_reply",
               *(f"r_{kind.value}" for kind in TIMEKEEPING_ALERTS)}
    assert reasons <= set(MESSAGES)
    assert _DONE <= set(MESSAGES)
    # Every error page and sign-in refusal the code renders by key (read from the code itself).
    shown = set()
    for path in (Path(__file__).resolve().parents[2] / "api").rglob("*.py"):
        shown |= set(re.findall(r'(?:error|message)="([a-z_]+)"', path.read_text()))
    assert shown and shown <= set(MESSAGES), sorted(shown - set(MESSAGES))


def test_a_mistyped_key_is_an_error_not_its_code():
    with pytest.raises(KeyError):
        Words("en").word("r_escalatd")
    assert Words("zh").word("r_escalated") != "r_escalated"
