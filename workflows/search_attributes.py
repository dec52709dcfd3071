"""The journey's search attributes, typed and in one place. Never personal or medical data:
only codes (stage, pathway), staff ids, the case reference and flags."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

STAGE = SearchAttributeKey.for_keyword("WaypointStage")
PATHWAY = SearchAttributeKey.for_keyword("WaypointPathway")
COORDINATOR = SearchAttributeKey.for_keyword("WaypointCoordinator")
CASE_REFERENCE = SearchAttributeKey.for_keyword("WaypointCaseReference")
OVERDUE = SearchAttributeKey.for_bool("WaypointOverdue")
PAUSED = SearchAttributeKey.for_bool("WaypointPaused")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("WaypointNeedsAttention")
# What puts a family on Today (domain/digest.py): the reasons that hold whatever the time ("yes" or
# "no"; a keyword, as the dev server's SQL visibility holds at most three Bool attributes), and the
# earliest deadline of a record still awaited (on Today from a week before it). Journeys started
# before these existed have neither until their next task.
NEEDS_PERSON = SearchAttributeKey.for_keyword("WaypointNeedsPerson")
RECORDS_DEADLINE = SearchAttributeKey.for_datetime("WaypointRecordsDeadline")
# The next appointment (journeys with timekeeping): on Today from two days before it.
NEXT_APPOINTMENT = SearchAttributeKey.for_datetime("WaypointNextAppointment")

ALL = (STAGE, PATHWAY, COORDINATOR, CASE_REFERENCE, OVERDUE, PAUSED, NEEDS_ATTENTION, NEEDS_PERSON, RECORDS_DEADLINE,
       NEXT_APPOINTMENT)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags


def initial(case_reference: str, stage: str, pathway: str, coordinator: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(CASE_REFERENCE, case_reference),
            SearchAttributePair(STAGE, stage),
            SearchAttributePair(PATHWAY, pathway),
            SearchAttributePair(COORDINATOR, coordinator),
            SearchAttributePair(OVERDUE, False),
            SearchAttributePair(PAUSED, False),
            SearchAttributePair(NEEDS_ATTENTION, False),
            SearchAttributePair(NEEDS_PERSON, needs_person_value(False)),
        ]
    )


# "No record awaited" is a date no read ever reaches, rather than an unset attribute: the Java
# time-skipping test server stores an unset Datetime attribute in a form clients cannot decode.
NO_RECORDS_DEADLINE = datetime(2999, 12, 31, tzinfo=UTC)


def records_deadline_value(deadline: datetime | None) -> datetime:
    return NO_RECORDS_DEADLINE if deadline is None else deadline


def next_appointment_value(at: datetime | None) -> datetime:
    return NO_RECORDS_DEADLINE if at is None else at


def needs_person_value(needs: bool) -> str:
    return "yes" if needs else "no"
