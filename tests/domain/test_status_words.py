"""What a coordinator reads about a journey (issue 10, finding 6)."""

from __future__ import annotations

from datetime import timedelta

from domain import rules
from domain.commands import CloseJourney
from domain.status import journey_status
from tests.domain.test_journey_rules import T0, fresh


def test_closed_since_is_when_the_journey_was_closed():
    state = fresh()
    later = T0 + timedelta(days=40)
    rules.apply_close(state, CloseJourney(reason="family_declined"), later)
    status = journey_status(state)
    assert status.stage.value == "closed"
    assert status.stage_entered_at == later
