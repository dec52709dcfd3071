"""The records checklist: which records a pathway needs, who holds each, and their status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.stages import Pathway


class RecordType(StrEnum):
    PATHOLOGY = "pathology"
    BONE_MARROW = "bone_marrow"
    CYTOGENETICS_MOLECULAR = "cytogenetics_molecular"
    FLOW_CYTOMETRY_MRD = "flow_cytometry_mrd"
    CSF_CYTOLOGY = "csf_cytology"
    IMAGING = "imaging"
    TREATMENT_HISTORY = "treatment_history"
    BLOOD_COUNTS = "blood_counts"
    CLINICAL_SUMMARY = "clinical_summary"
    HLA_TYPING = "hla_typing"
    PASSPORT_COPY = "passport_copy"
    # CAR-T work-up before infusion
    ORGAN_FUNCTION_LABS = "organ_function_labs"
    INFECTION_SEROLOGY = "infection_serology"
    ECHO_ECG = "echo_ecg"


class Holder(StrEnum):
    FAMILY = "family"
    LOCAL_TEAM = "local_team"


class RecordStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WAIVED = "waived"

    @property
    def outstanding(self) -> bool:
        """Still waiting on the holder (nothing usable has arrived). The one statement of it."""
        return self in (RecordStatus.REQUESTED, RecordStatus.REJECTED)

    @property
    def settled(self) -> bool:
        """Counts toward a complete record set."""
        return self in (RecordStatus.ACCEPTED, RecordStatus.WAIVED)


class RejectionReason(StrEnum):
    ILLEGIBLE = "illegible"
    WRONG_PATIENT = "wrong_patient"
    NEEDS_TRANSLATION = "needs_translation"
    INCOMPLETE = "incomplete"
    OUTDATED = "outdated"
    NAME_MISMATCH = "name_mismatch"


# Who usually holds each record. A case file may say otherwise per item.
DEFAULT_HOLDER: dict[RecordType, Holder] = {
    RecordType.PASSPORT_COPY: Holder.FAMILY,
    RecordType.TREATMENT_HISTORY: Holder.LOCAL_TEAM,
}

REVIEW_RECORDS: tuple[RecordType, ...] = (
    RecordType.PATHOLOGY,
    RecordType.BONE_MARROW,
    RecordType.CYTOGENETICS_MOLECULAR,
    RecordType.FLOW_CYTOMETRY_MRD,
    RecordType.CSF_CYTOLOGY,
    RecordType.IMAGING,
    RecordType.TREATMENT_HISTORY,
    RecordType.BLOOD_COUNTS,
    RecordType.CLINICAL_SUMMARY,
)

CHECKLISTS: dict[Pathway, tuple[RecordType, ...]] = {
    Pathway.SECOND_OPINION: REVIEW_RECORDS,
    Pathway.TRANSPLANT: REVIEW_RECORDS + (RecordType.HLA_TYPING, RecordType.PASSPORT_COPY),
    Pathway.CAR_T: REVIEW_RECORDS
    + (
        RecordType.PASSPORT_COPY,
        RecordType.ORGAN_FUNCTION_LABS,
        RecordType.INFECTION_SEROLOGY,
        RecordType.ECHO_ECG,
    ),
}


def default_holder(record_type: RecordType) -> Holder:
    return DEFAULT_HOLDER.get(record_type, Holder.LOCAL_TEAM)


class RecordItem(BaseModel):
    """One line of the checklist. Carries references (document ids), never documents."""

    model_config = ConfigDict(extra="forbid")

    record_type: RecordType
    holder: Holder
    status: RecordStatus = RecordStatus.REQUESTED
    requested_at: datetime
    last_asked_at: datetime
    reminders_sent: int = 0
    escalated: bool = False
    rejection_reason: RejectionReason | None = None
    document_ids: list[str] = []
    updated_at: datetime | None = None

    @property
    def outstanding(self) -> bool:
        return self.status.outstanding

    @property
    def settled(self) -> bool:
        return self.status.settled


def checklist_for(
    pathway: Pathway,
    now: datetime,
    holders: dict[RecordType, Holder] | None = None,
    already: dict[RecordType, RecordItem] | None = None,
) -> dict[RecordType, RecordItem]:
    """The pathway's checklist; items already tracked are kept as they are."""
    items = dict(already or {})
    for record_type in CHECKLISTS[pathway]:
        if record_type not in items:
            holder = (holders or {}).get(record_type, default_holder(record_type))
            items[record_type] = RecordItem(
                record_type=record_type, holder=holder, requested_at=now, last_asked_at=now
            )
    return items
