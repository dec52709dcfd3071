"""A new journey from its case file."""

from __future__ import annotations

from datetime import datetime

from domain.case_file import CaseFile
from domain.records import (
    RecordStatus,
    checklist_for,
)
from domain.rules.effects import log
from domain.rules.records import check_records_complete, new_item, request_outstanding
from domain.stages import (
    Stage,
)
from domain.state import (
    JourneyState,
)


def start(case: CaseFile, now: datetime) -> JourneyState:
    state = JourneyState(
        case=case,
        pathway=case.pathway,
        stage=Stage.REMOTE_REVIEW,
        started_at=now,
        stage_entered_at=now,
        local_team_consent=bool(case.local_team and case.local_team.consent),
    )
    state.records = checklist_for(case.pathway, now, holders=case.record_holders)
    for record_type in case.records_in_hand:
        item = state.records.get(record_type)
        if item is None:
            item = new_item(state, record_type, now)
            state.records[record_type] = item
        item.status, item.updated_at = RecordStatus.ACCEPTED, now
    log(state, now, "journey_started", pathway=case.pathway.value)
    request_outstanding(state, now, list(state.records))
    check_records_complete(state, now)
    return state
