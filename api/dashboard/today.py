"""Who needs a person today, and why: pure functions over a journey's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.state import AlertKind, MessageStatus
from domain.status import JourneyStatus

WEEK = timedelta(days=7)
FAILED_DELIVERY = {"failed", "undelivered", "bounced"}


@dataclass
class Reason:
    code: str  # a key of i18n WORDS: r_escalated, r_overdue, ...
    records: list[str] = field(default_factory=list)  # record type codes, if any


@dataclass
class NeedsPerson:
    case_reference: str
    coordinator: str
    stage: str
    reasons: list[Reason]


def reasons(status: JourneyStatus, now: datetime) -> list[Reason]:
    if status.closed:
        return []
    found: list[Reason] = []
    kinds = {a.kind for a in status.open_alerts}
    escalated = sorted({r.record_type.value for r in status.records if r.escalated})
    if escalated or kinds & {AlertKind.RECORDS_OVERDUE, AlertKind.RECORDS_DEADLINE_PASSED}:
        found.append(Reason("r_escalated", escalated))
    overdue = sorted({r.record_type.value for r in status.records
                      if r.outstanding and r.deadline is not None and r.deadline <= now})
    if overdue or status.overdue:
        found.append(Reason("r_overdue", overdue or escalated))
    due = sorted({r.record_type.value for r in status.records
                  if r.outstanding and r.deadline is not None and now < r.deadline <= now + WEEK})
    if due:
        found.append(Reason("r_deadline", due))
    if AlertKind.DELIVERY_FAILED in kinds or any(
        m.status == MessageStatus.FAILED or (m.delivery or "") in FAILED_DELIVERY for m in status.delivery_problems
    ):
        found.append(Reason("r_delivery"))
    if AlertKind.VISA_EXPIRES_TOO_SOON in kinds:
        found.append(Reason("r_visa"))
    if AlertKind.RECORDS_READY_FOR_REVIEW in kinds:
        found.append(Reason("r_ready"))
    return found
