"""The handover package for the local team at return: a checklist like the records one. Each
item is received from the centre, sent to the local team (only with the family's consent) and
acknowledged by them, or waived by the coordinator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class HandoverItemType(StrEnum):
    DISCHARGE_SUMMARY = "discharge_summary"
    TREATMENT_SUMMARY = "treatment_summary"  # transplant or infusion summary
    MEDICATION_LIST = "medication_list"
    FOLLOW_UP_PLAN = "follow_up_plan"
    VACCINATION_SCHEDULE = "vaccination_schedule"
    CENTRE_CONTACTS = "centre_contacts"


class HandoverStatus(StrEnum):
    AWAITED = "awaited"  # from the centre
    RECEIVED = "received"
    SENT = "sent"  # to the local team
    ACKNOWLEDGED = "acknowledged"
    WAIVED = "waived"

    @property
    def handed_over(self) -> bool:
        """Sent (or acknowledged) or waived: enough for the family to travel home."""
        return self in (HandoverStatus.SENT, HandoverStatus.ACKNOWLEDGED, HandoverStatus.WAIVED)


class HandoverAction(StrEnum):
    RECEIVED = "received"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    WAIVED = "waived"


class HandoverItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: HandoverItemType
    status: HandoverStatus = HandoverStatus.AWAITED
    updated_at: datetime
    last_asked_at: datetime
    reminders_sent: int = 0
