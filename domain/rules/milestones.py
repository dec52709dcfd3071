"""Milestones a coordinator records, and what each sets in motion."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.commands import (
    ApplyMilestone,
)
from domain.derived import projected_return
from domain.records import (
    checklist_for,
)
from domain.rules.effects import (
    Refused,
    log,
    note,
    notify,
    raise_alert,
    refuse_if_inactive,
)
from domain.rules.donors import typed_donors
from domain.rules.records import request_outstanding
from domain.rules.timekeeping import resolve_alerts
from domain.stages import (
    MILESTONES,
    TREATMENT_PATHWAYS,
    Detail,
    Milestone,
    Pathway,
    ReviewOutcome,
    Stage,
)
from domain.state import (
    AlertKind,
    Audience,
    JourneyState,
    MessageEvent,
    MilestoneEntry,
    Notice,
    Visa,
)


def check_milestone(state: JourneyState, cmd: ApplyMilestone) -> None:
    refuse_if_inactive(state)
    rule = MILESTONES[cmd.milestone]
    name = cmd.milestone.value
    if rule.automatic:
        raise Refused(f"'{name}' is recorded automatically when every record is accepted or waived")
    if rule.stage != state.stage and not _any_stage_after_day_zero(state, cmd.milestone):
        raise Refused(f"'{name}' belongs to stage {rule.stage.value}; the journey is in stage {state.stage.value}")
    if state.pathway not in rule.pathways:
        raise Refused(f"'{name}' does not apply to the {state.pathway.value} pathway")
    replans = state.timekeeping and cmd.milestone == Milestone.DAY_ZERO  # changing day 0 re-plans
    if not rule.repeatable and state.recorded(cmd.milestone) and not replans:
        raise Refused(f"'{name}' is already recorded")
    missing = [m.value for m in rule.requires if not state.recorded(m)]
    if missing:
        raise Refused(f"'{name}' needs {', '.join(missing)} first")
    given = {d for d in Detail if getattr(cmd, d.value) is not None}
    lacking = sorted(d.value for d in rule.required_details - given)
    if lacking:
        raise Refused(f"'{name}' needs: {', '.join(lacking)}")
    extra = sorted(d.value for d in given - rule.required_details - rule.optional_details)
    if extra:
        raise Refused(f"'{name}' does not take: {', '.join(extra)}")
    if cmd.milestone == Milestone.REVIEW_OUTCOME:
        if cmd.pathway is not None and cmd.outcome != ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            raise Refused("a pathway is chosen only with outcome proceed_to_eligibility")
        if cmd.outcome == ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            target = cmd.pathway or state.pathway
            if target not in TREATMENT_PATHWAYS:
                raise Refused("outcome proceed_to_eligibility needs pathway transplant or car_t")
    if state.timekeeping:
        _check_timekeeping(state, cmd)
    if cmd.visa_type is not None and cmd.visa_type not in state.case.policy.travel.visa_codes():
        codes = ", ".join(state.case.policy.travel.visa_codes())
        raise Refused(f"unknown visa type '{cmd.visa_type}' (configured: {codes})")


# Recorded in whichever stage the journey is in once day 0 is known: the day +100 check is often
# done after the family is home, with the local team.
AFTER_DAY_ZERO_STAGES = frozenset({Stage.TREATMENT_STAY, Stage.MONITORING, Stage.RETURN_HOME, Stage.FOLLOW_UP})


def _any_stage_after_day_zero(state: JourneyState, milestone: Milestone) -> bool:
    return (
        state.timekeeping
        and milestone == Milestone.MONITORING_CHECK
        and state.day_zero is not None
        and state.stage in AFTER_DAY_ZERO_STAGES
    )


def _check_timekeeping(state: JourneyState, cmd: ApplyMilestone) -> None:
    """What journeys with timekeeping also require (older journeys keep their earlier rules)."""
    if cmd.milestone == Milestone.DONOR_SELECTED:
        typed = typed_donors(state)
        if cmd.donor is None:
            listed = ", ".join(typed) or "none yet: record donor typing first"
            raise Refused(f"'donor_selected' names the typed relative chosen (typed with a result: {listed})")
        if cmd.donor not in typed:
            raise Refused(f"{cmd.donor} has no typing result; donor_selected names a typed relative")
    if cmd.milestone == Milestone.HANDOVER_SENT and state.handover:
        raise Refused("with a handover package, 'handover_sent' is recorded by itself once every item is sent or waived")


def apply_milestone(state: JourneyState, cmd: ApplyMilestone, now: datetime) -> None:
    check_milestone(state, cmd)
    details = cmd.model_dump(mode="json", exclude_none=True, exclude={"milestone", "note", "by"})
    state.milestones.append(
        MilestoneEntry(milestone=cmd.milestone, stage=state.stage, at=now, details=details, by=cmd.by)
    )
    log(state, now, "milestone", by=cmd.by, milestone=cmd.milestone.value, **{k: str(v) for k, v in details.items()})
    note(state, now, cmd.milestone.value, cmd.note, cmd.by)

    if cmd.milestone == Milestone.REVIEW_OUTCOME:
        if cmd.outcome == ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            change_pathway(state, cmd.pathway or state.pathway, now)
        elif cmd.outcome == ReviewOutcome.REMOTE_ADVICE_ONLY:
            change_pathway(state, Pathway.SECOND_OPINION, now)
    elif cmd.milestone == Milestone.VISA_GRANTED:
        assert cmd.visa_type and cmd.applicant and cmd.expires_on
        granted_at = now if state.timekeeping else None
        state.visas.append(
            Visa(visa_type=cmd.visa_type, applicant=cmd.applicant.value, expires_on=cmd.expires_on, granted_at=granted_at)
        )
    elif cmd.milestone == Milestone.TRAVEL_BOOKED:
        state.travel_date = cmd.on_date
    elif cmd.milestone == Milestone.DAY_ZERO:
        state.day_zero = cmd.on_date
        if state.timekeeping:
            state.monitoring_from = now  # the monitoring plan starts (or is re-made) from day 0
    if state.timekeeping:
        _start_plans(state, cmd, now)

    rule = MILESTONES[cmd.milestone]
    params: dict[str, Any] = {"stage": state.stage.value, "milestone": cmd.milestone.value}
    if cmd.on_date is not None:
        params["on_date"] = cmd.on_date.isoformat()
    if rule.tell_family:
        event = MessageEvent.APPOINTMENT if cmd.on_date is not None else MessageEvent.STAGE_CHANGE
        notify(state, Notice(event=event, audience=Audience.FAMILY, params=params), now)
    if rule.tell_local_team:
        notify(state, Notice(event=MessageEvent.LOCAL_TEAM_UPDATE, audience=Audience.LOCAL_TEAM, params=params), now)
    if cmd.milestone in (Milestone.VISA_GRANTED, Milestone.TRAVEL_BOOKED, Milestone.DAY_ZERO):
        check_visas(state, now)
    resolve_alerts(state)


def _start_plans(state: JourneyState, cmd: ApplyMilestone, now: datetime) -> None:
    if cmd.milestone == Milestone.DISCHARGED:
        state.discharged_on = cmd.on_date
    elif cmd.milestone == Milestone.RETURNED_HOME:
        state.follow_up_from = now  # monthly check-ins from the return
    elif cmd.milestone == Milestone.REVIEW_OUTCOME and cmd.outcome == ReviewOutcome.REMOTE_ADVICE_ONLY:
        state.follow_up_from = now  # the advice is followed up, then the journey ends itself


def change_pathway(state: JourneyState, pathway: Pathway, now: datetime) -> None:
    if pathway == state.pathway:
        return
    log(state, now, "pathway_changed", old=state.pathway.value, new=pathway.value)
    state.pathway = pathway
    before = set(state.records)
    state.records = checklist_for(pathway, now, holders=state.case.record_holders, already=state.records)
    added = [t for t in state.records if t not in before]
    if added:
        request_outstanding(state, now, added)


def check_visas(state: JourneyState, now: datetime) -> None:
    ends = projected_return(state)
    if ends is None:
        return
    margin = timedelta(days=state.case.policy.travel.visa_margin_days)
    for visa in state.visas:
        if visa.expires_on < ends + margin:
            already = any(
                a.kind == AlertKind.VISA_EXPIRES_TOO_SOON
                and a.detail.get("expires_on") == visa.expires_on.isoformat()
                and a.detail.get("projected_return") == ends.isoformat()
                for a in state.alerts
            )
            if already:
                continue
            detail = {
                "applicant": visa.applicant,
                "visa_type": visa.visa_type,
                "expires_on": visa.expires_on.isoformat(),
                "projected_return": ends.isoformat(),
            }
            raise_alert(state, now, AlertKind.VISA_EXPIRES_TOO_SOON, **detail)  # type: ignore[arg-type]
            notify(
                state,
                Notice(event=MessageEvent.VISA_EXPIRY_WARNING, audience=Audience.FAMILY, params=detail),
                now,
            )
