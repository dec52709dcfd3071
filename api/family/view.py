"""What one guardian sees, built from the status a journey publishes (pure, no I/O).

Record names, stage names and reasons come from the shared labels catalog, so the page and
the messages use the same words. No diagnosis, nothing medical beyond the record names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.appointments import Appointment, Attendee
from domain.records import Holder, RecordStatus, RecordType
from domain.stages import PATHWAY_STAGES, Stage
from domain.status import JourneyStatus
from messaging.links import Grant

NEEDED = (RecordStatus.REQUESTED, RecordStatus.REJECTED)
RECEIVED = (RecordStatus.RECEIVED, RecordStatus.ACCEPTED)


@dataclass(frozen=True)
class StageStep:
    code: str
    name: str
    state: str  # done, current, ahead


@dataclass(frozen=True)
class RecordItem:
    record_type: RecordType
    name: str
    status: str
    held_by_doctors: bool
    rejection: str | None  # the reason, in the guardian's language

    @property
    def can_upload(self) -> bool:
        return self.status in (s.value for s in NEEDED)


@dataclass(frozen=True)
class FamilyView:
    case_reference: str
    recipient: str
    stage: str
    stage_name: str
    paused: bool
    closed: bool
    steps: list[StageStep]
    records: list[RecordItem]
    stopped_channels: list[str]
    link_channel: str
    channel_names: dict[str, str] = field(default_factory=dict)
    next_appointment: Appointment | None = None  # the family's next one (with its calendar file)
    next_appointment_name: str = ""

    @property
    def reference_isolated(self) -> str:
        """The case reference inside running text, kept left-to-right in Arabic (FSI ... PDI)."""
        return f"\u2068{self.case_reference}\u2069"

    @property
    def needed(self) -> list[RecordItem]:
        return [r for r in self.records if r.can_upload]

    @property
    def received(self) -> list[RecordItem]:
        return [r for r in self.records if r.status in (s.value for s in RECEIVED)]

    @property
    def for_doctors(self) -> list[RecordItem]:
        return [r for r in self.needed if r.held_by_doctors]


Label = Callable[[str, str], str]  # (group, code) -> the code's name in the guardian's language


def family_view(status: JourneyStatus, grant: Grant, label: Label, channels: list[str]) -> FamilyView:
    """``channels``: the guardian's channels (those their messages came by)."""
    route = list(PATHWAY_STAGES[status.pathway])
    here = route.index(status.stage) if status.stage in route else -1
    steps = [
        StageStep(s.value, label("stages", s.value),
                  "done" if i < here or status.closed else "current" if i == here else "ahead")
        for i, s in enumerate(route)
    ]
    records = [
        RecordItem(
            record_type=r.record_type,
            name=label("records", r.record_type.value),
            status=r.status.value,
            held_by_doctors=r.holder == Holder.LOCAL_TEAM,
            rejection=label("rejection_reasons", r.rejection_reason) if r.rejection_reason else None,
        )
        for r in status.records
        if r.status != RecordStatus.WAIVED
    ]
    stopped = list(status.opted_out.get(grant.recipient, []))
    upcoming = family_appointment(status)
    return FamilyView(
        case_reference=status.case_reference,
        recipient=grant.recipient,
        stage=status.stage.value,
        stage_name=label("stages", Stage(status.stage).value),
        paused=status.paused,
        closed=status.closed,
        steps=steps,
        records=records,
        stopped_channels=stopped,
        link_channel=grant.channel,
        channel_names={c: label("channels", c) for c in ("email", "sms") if c in channels or c in stopped},
        next_appointment=upcoming,
        next_appointment_name=label("appointment_kinds", upcoming.kind.value) if upcoming else "",
    )


def family_appointment(status: JourneyStatus, appointment_id: str | None = None) -> Appointment | None:
    """The family's next upcoming appointment (or the upcoming one with that id)."""
    for appointment in status.appointments:  # upcoming, soonest first
        if Attendee.FAMILY in appointment.attendees and appointment_id in (None, appointment.id):
            return appointment
    return None
