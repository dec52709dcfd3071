"""What is derived from a journey's state and never stored: when it next wakes, whether it is
overdue, when the family is expected home, what stands between it and its next stage, and who is
actually asked for a record (``notices.asked_of``). Read by the rules, the workflow and the read model alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.batching import awaiting_first_ask
from domain.plans import next_duty_at
from domain.reminders import next_chase_at
from domain.stages import Stage, transitions_from
from domain.state import JourneyState, MessageStatus


def next_wakeup(state: JourneyState) -> datetime | None:
    """The earliest moment the journey has something to do by itself (None: only on news)."""
    if state.closed or state.paused:
        return None
    times = [m.not_before for m in state.messages if m.status == MessageStatus.SCHEDULED]
    waiting = awaiting_first_ask(state)  # their chase starts once their request has gone out
    for t, item in state.records.items():
        if t in waiting:
            continue
        at = next_chase_at(item, state.case.policy.chase)
        if at is not None:
            times.append(at)
    duty_at = next_duty_at(state)  # the plans after the records (journeys with timekeeping)
    if duty_at is not None:
        times.append(duty_at)
    return min(times) if times else None


def overdue(state: JourneyState) -> bool:
    return any(i.escalated and i.outstanding for i in state.records.values())


def projected_return(state: JourneyState) -> date | None:
    """When the family is expected to be able to travel home (day 0 + the pathway's stay)."""
    travel = state.case.policy.travel
    stay = travel.stay_after_day_zero_days.get(state.pathway.value)
    if stay is None:
        return None
    if state.day_zero is not None:
        expected = state.day_zero + timedelta(days=stay)
        if state.discharged_on is not None and state.discharged_on > expected:
            return state.discharged_on  # a longer stay than planned moves the return
        return expected
    if state.travel_date is not None:
        return state.travel_date + timedelta(days=travel.arrival_to_day_zero_days + stay)
    return None


def unmet_requirements(state: JourneyState, target: Stage) -> list[str]:
    """What still stands between the current stage and ``target`` (empty: ready)."""
    for t in transitions_from(state.stage, state.pathway):
        if t.target != target:
            continue
        missing = []
        for req in t.requires:
            if state.pathway not in req.pathways:
                continue
            entries = state.recorded(req.milestone)
            latest = entries[-1] if entries else None
            if latest is None:
                missing.append(f"milestone {req.milestone.value}")
            elif req.outcome is not None and latest.details.get("outcome") != req.outcome.value:
                missing.append(f"{req.milestone.value} with outcome {req.outcome.value}")
            elif req.eligible is not None and latest.details.get("eligible") != req.eligible:
                missing.append(f"{req.milestone.value} with eligible={str(req.eligible).lower()}")
        return missing
    return ["a transition to that stage"]
