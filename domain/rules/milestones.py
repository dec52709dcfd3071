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
from domain.rules.records import request_outstanding
from domain.stages import (
    MILESTONES,
    TREATMENT_PATHWAYS,
    Detail,
    Milestone,
    Pathway,
    ReviewOutcome,
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
    if rule.stage != state.stage:
        raise Refused(f"'{name}' belongs to stage {rule.stage.value}; the journey is in stage {state.stage.value}")
    if state.pathway not in rule.pathways:
        raise Refused(f"'{name}' does not apply to the {state.pathway.value} pathway")
    if not rule.repeatable and state.recorded(cmd.milestone):
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
    if cmd.visa_type is not None and cmd.visa_type not in state.case.policy.travel.visa_codes():
        codes = ", ".join(state.case.policy.travel.visa_codes())
        raise Refused(f"unknown visa type '{cmd.visa_type}' (configured: {codes})")


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
        state.visas.append(Visa(visa_type=cmd.visa_type, applicant=cmd.applicant.value, expires_on=cmd.expires_on))
    elif cmd.milestone == Milestone.TRAVEL_BOOKED:
        state.travel_date = cmd.on_date
    elif cmd.milestone == Milestone.DAY_ZERO:
        state.day_zero = cmd.on_date

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
