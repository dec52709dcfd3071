"""The handover package at return: built when the journey enters the return-home stage, each item
received, sent to the local team (only with consent) and acknowledged, or waived. Once every
item is sent or waived the ``handover_sent`` milestone is recorded by itself, and the family may
be recorded as returned home."""

from __future__ import annotations

from datetime import datetime

from domain.commands import UpdateHandoverItem
from domain.handover import HandoverAction, HandoverItem, HandoverItemType, HandoverStatus
from domain.rules.effects import Refused, log, notify, refuse_if_inactive
from domain.rules.timekeeping import resolve_alerts
from domain.stages import Milestone, Stage
from domain.state import Audience, JourneyState, MessageEvent, MilestoneEntry, Notice

NEXT: dict[HandoverAction, tuple[HandoverStatus, ...]] = {
    HandoverAction.RECEIVED: (HandoverStatus.AWAITED,),
    HandoverAction.SENT: (HandoverStatus.RECEIVED,),
    HandoverAction.ACKNOWLEDGED: (HandoverStatus.SENT,),
    HandoverAction.WAIVED: (HandoverStatus.AWAITED, HandoverStatus.RECEIVED),
}
RESULT = {
    HandoverAction.RECEIVED: HandoverStatus.RECEIVED,
    HandoverAction.SENT: HandoverStatus.SENT,
    HandoverAction.ACKNOWLEDGED: HandoverStatus.ACKNOWLEDGED,
    HandoverAction.WAIVED: HandoverStatus.WAIVED,
}


def open_package(state: JourneyState, now: datetime) -> None:
    """The package's checklist, once, when the journey enters the return-home stage."""
    if state.timekeeping and not state.handover:
        state.handover = {t: HandoverItem(item=t, updated_at=now, last_asked_at=now) for t in HandoverItemType}
        log(state, now, "handover_package_opened", items=str(len(state.handover)))


def handed_over(state: JourneyState) -> bool:
    return bool(state.handover) and all(h.status.handed_over for h in state.handover.values())


def check_handover(state: JourneyState, cmd: UpdateHandoverItem) -> None:
    refuse_if_inactive(state, allow_paused=True)
    if not state.handover:
        raise Refused("there is no handover package yet (it opens when the journey enters return_home)")
    item = state.handover[cmd.item]
    if item.status not in NEXT[cmd.action]:
        raise Refused(f"cannot mark {cmd.item.value} {cmd.action.value}: it is {item.status.value}")
    if cmd.action == HandoverAction.SENT and not (state.local_team_consent and state.case.local_team):
        raise Refused("nothing is sent to the local team without the family's consent; record consent or waive the item")


def apply_handover(state: JourneyState, cmd: UpdateHandoverItem, now: datetime) -> None:
    check_handover(state, cmd)
    item = state.handover[cmd.item]
    item.status, item.updated_at, item.last_asked_at, item.reminders_sent = RESULT[cmd.action], now, now, 0
    log(state, now, "handover_item", by=cmd.by, item=cmd.item.value, status=item.status.value)
    if cmd.action == HandoverAction.SENT:
        notify(state, Notice(event=MessageEvent.HANDOVER_PACKAGE, audience=Audience.LOCAL_TEAM,
                             params={"items": [cmd.item.value]}), now)
    if handed_over(state) and state.stage == Stage.RETURN_HOME and not state.recorded(Milestone.HANDOVER_SENT):
        state.milestones.append(MilestoneEntry(milestone=Milestone.HANDOVER_SENT, stage=state.stage, at=now, by=cmd.by))
        log(state, now, "milestone", milestone=Milestone.HANDOVER_SENT.value)
    resolve_alerts(state)
