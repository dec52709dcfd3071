"""A journey's page while no worker answers: a status made from the digest the journey published
(stage, flags, reasons), with the detail that only the journey can give left empty. The page says
so (``partial_detail``)."""

from __future__ import annotations

from domain.digest import JourneyDigest
from domain.status import JourneyStatus


def partial_status(d: JourneyDigest) -> JourneyStatus:
    return JourneyStatus(
        case_reference=d.case_reference, coordinator=d.coordinator, pathway=d.pathway, stage=d.stage,
        stage_entered_at=d.stage_entered_at, started_at=d.started_at, paused=d.paused, pause_reason=None,
        closed=d.closed, close_reason=None, overdue=d.overdue, local_team_consent=False, opted_out={},
        stages_ahead=[], next_steps=[], milestones_open=[], milestones_done=[], records=[], next_wakeup=None,
        projected_return=None, open_alerts=[], scheduled_messages=[], delivery_problems=[], runs=0,
    )
