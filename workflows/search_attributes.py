"""The journey's search attributes, typed and in one place. Never personal or medical data:
only codes (stage, pathway), staff ids, the case reference and flags."""

from __future__ import annotations

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

ALL = (STAGE, PATHWAY, COORDINATOR, CASE_REFERENCE, OVERDUE, PAUSED, NEEDS_ATTENTION)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "BOOL": "Bool"}
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
        ]
    )
