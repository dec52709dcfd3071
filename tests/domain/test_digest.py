"""The digest: what puts a family on Today, from the journey's state (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import derived, rules
from domain.digest import digest, digest_of_status, needs_person, reasons, records_deadline
from domain.records import REVIEW_RECORDS
from domain.status import journey_status
from tests.conftest import make_case

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _codes(found) -> set[str]:
    return {r.code for r in found}


def test_records_awaited_put_a_family_on_today_a_week_before_their_deadline_and_after_it():
    state = rules.start(make_case(), NOW)
    d = digest(state, derived.overdue(state))
    assert records_deadline(d) == NOW + timedelta(days=21) and not needs_person(d)
    assert reasons(d, NOW) == []
    assert _codes(reasons(d, NOW + timedelta(days=15))) == {"r_deadline"}
    assert _codes(reasons(d, NOW + timedelta(days=22))) == {"r_overdue"}


def test_records_ready_for_review_need_a_person_whatever_the_time():
    state = rules.start(make_case(records_in_hand=[t.value for t in REVIEW_RECORDS]), NOW)
    d = digest(state, derived.overdue(state))
    assert needs_person(d) and records_deadline(d) is None
    assert _codes(reasons(d, NOW)) == {"r_ready"}


def test_the_digest_of_a_published_status_is_the_digest_of_the_state():
    """Journeys that published only their full status are read the same way (one rule)."""
    for case in (make_case(), make_case(records_in_hand=[t.value for t in REVIEW_RECORDS])):
        state = rules.start(case, NOW)
        assert digest_of_status(journey_status(state)) == digest(state, derived.overdue(state))
