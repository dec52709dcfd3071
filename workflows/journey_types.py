"""The journey's interface, in one place: what starts it, what it publishes, and the name of
every signal, update and query it handles.

Callers (the client facade, API, dashboard, CLI, inbound webhooks, demo, chaos) import names
from here and never from the workflow module, so renaming a handler is one edit, and a command
is sent by its type (``UPDATES[type(cmd)]``) rather than by a string typed at each call site.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from domain.case_file import CaseFile
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CancelAppointment,
    ChannelReply,
    CloseJourney,
    DeliveryReport,
    ExtendFollowUp,
    GuardianPreferences,
    LinkRequested,
    FamilyReply,
    MarkReplyHandled,
    PauseJourney,
    ReassignJourney,
    RecordAppointmentOutcome,
    RecordDonorTyping,
    RecordReceived,
    RescheduleAppointment,
    ResumeJourney,
    ReviewRecord,
    ScheduleAppointment,
    SetChannelOptOut,
    SetConsent,
    UpdateHandoverItem,
)
from domain.state import JourneyState

JOURNEY_WORKFLOW = "journey"
WORKFLOW_ID_PREFIX = "journey-"

# The memo key holding the journey's published JourneyStatus (encrypted by the codec), written
# by journeys started before the digest.
STATUS_MEMO = "status"
# The memo key holding the journey's JourneyDigest (domain/digest.py): the compact read model
# behind listings and Today, published only when it changes.
DIGEST_MEMO = "digest"


class JourneyInput(BaseModel):
    """A new journey has ``case``; a continued one carries its whole ``state``."""

    case: CaseFile | None = None
    state: JourneyState | None = None


# Facts that simply happened: signals, never refused.
SIGNALS: dict[type[BaseModel], str] = {
    RecordReceived: "record-received",
    ChannelReply: "channel-reply",
    DeliveryReport: "delivery-report",
    LinkRequested: "family-link-requested",  # from the family page (patch family-link-requested-v1)
    GuardianPreferences: "guardian-preferences",  # from the family page (patch guardian-preferences-v1)
    FamilyReply: "family-reply",
}

# Coordinator commands that can be refused: updates with validators.
UPDATES: dict[type[BaseModel], str] = {
    ReviewRecord: "review-record",
    ApplyMilestone: "apply-milestone",
    AdvanceStage: "advance-stage",
    PauseJourney: "pause",
    ResumeJourney: "resume",
    CloseJourney: "close",
    SetConsent: "set-consent",
    SetChannelOptOut: "set-channel-opt-out",
    ScheduleAppointment: "schedule-appointment",
    RescheduleAppointment: "reschedule-appointment",
    CancelAppointment: "cancel-appointment",
    RecordAppointmentOutcome: "record-appointment-outcome",
    RecordDonorTyping: "record-donor-typing",
    UpdateHandoverItem: "update-handover-item",
    ExtendFollowUp: "extend-follow-up",
    ReassignJourney: "reassign",
    MarkReplyHandled: "mark-reply-handled",
}


class Query(StrEnum):
    STATUS = "status"
    TIMELINE = "timeline"
    MESSAGES = "messages"
    SUMMARY = "summary"
    GUARDIAN = "guardian"  # one guardian's own settings (argument: guardian-1 / guardian-2)


def journey_id(case_reference: str) -> str:
    """Workflow ids come from the case reference only (never a name)."""
    return f"{WORKFLOW_ID_PREFIX}{case_reference}"


def update_name(cmd: BaseModel) -> str:
    """The update that carries ``cmd`` (a KeyError names a model that is not a command)."""
    return UPDATES[type(cmd)]


def signal_name(fact: BaseModel) -> str:
    return SIGNALS[type(fact)]
