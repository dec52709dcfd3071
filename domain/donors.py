"""Donor typing (transplant): each relative who may donate is typed, and each typing has a next
step someone holds. Relatives are named by relation and number, never by name."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Relation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"


class TypingStatus(StrEnum):
    KIT_SENT = "kit_sent"
    SAMPLE_REQUESTED = "sample_requested"
    SAMPLE_TAKEN = "sample_taken"
    RESULT_RECEIVED = "result_received"

    @property
    def awaiting(self) -> bool:
        return self != TypingStatus.RESULT_RECEIVED


class NextStepHolder(StrEnum):
    """Who holds the next step: the family (a sample to give), the local team (a sample to
    take), or the centre / laboratory (a result to report, followed up by the coordinator)."""

    FAMILY = "family"
    LOCAL_TEAM = "local_team"
    CENTRE = "centre"


# 10/10, 9/10, 5/10 haplo, 12/12...
MatchGrade = Annotated[str, Field(pattern=r"^[0-9]{1,2}/[0-9]{1,2}( haplo)?$")]
# mother, father, sibling-1, other_relative-2
DonorId = Annotated[str, Field(pattern=r"^(mother|father|sibling-[1-9]|other_relative-[1-9])$")]


def donor_id(relation: Relation, number: int | None) -> str:
    if relation in (Relation.MOTHER, Relation.FATHER):
        return relation.value
    return f"{relation.value}-{number or 1}"


class DonorTyping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # mother, father, sibling-1, other_relative-1
    relation: Relation
    status: TypingStatus
    holder: NextStepHolder
    match_grade: str | None = None
    updated_at: datetime
    last_asked_at: datetime
    reminders_sent: int = 0
