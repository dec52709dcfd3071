"""The case file a backend system sends to start a journey, and the people it names.

Validation here is the front door: the CLI and the HTTP API call ``CaseFile.intake`` before
anything reaches Temporal, so a malformed case file changes nothing. Error messages name the
field and the rule, never the value (values can be personal data).

Checks that depend on a library's data (phone number plans, e-mail syntax rules, the time zone
database) run only at intake. When the workflow reads its stored input or state back, only the
deterministic shape checks run, so a library upgrade can never make a running journey's history
fail to load.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from domain.policy import JourneyPolicy, QuietHours
from domain.records import Holder, RecordType
from domain.stages import Pathway
from domain.validation import INTAKE, at_intake, display_text_problem

# WJ-2026-0001: letters, year, number. Structured on purpose, so a name cannot be one.
CASE_REFERENCE_PATTERN = r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{3,6}$"
CaseReference = Annotated[str, Field(pattern=CASE_REFERENCE_PATTERN)]
# Staff identifiers and document ids are opaque references.
StaffId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
DocumentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")]
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
def _check_display_name(value: str, info: ValidationInfo) -> str:
    """At intake only (domain.validation.display_text_problem): a journey already running keeps
    loading whatever it was started with."""
    problem = display_text_problem(value) if at_intake(info) else None
    if problem:
        raise ValueError(problem)
    return value


DisplayName = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_check_display_name)]


def _check_timezone(value: str, info: ValidationInfo) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", value) or value.startswith("/") or ".." in value:
        raise ValueError("not an IANA time zone name")
    if not at_intake(info):
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown IANA time zone") from None
    return value


def _check_phone(value: str, info: ValidationInfo) -> str:
    """E.164 numbers only ("+77011234567"); at intake the number must be valid for its country."""
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
        raise ValueError("phone number must be in E.164 form, e.g. +77012345678")
    if not at_intake(info):
        return value
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("phone number cannot be parsed") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("phone number is not a valid number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _check_email(value: str, info: ValidationInfo) -> str:
    if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,255}", value):
        raise ValueError("not an e-mail address")
    if not at_intake(info):
        return value
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("not a valid e-mail address") from None


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
PhoneNumber = Annotated[str, AfterValidator(_check_phone)]
EmailAddress = Annotated[str, AfterValidator(_check_email)]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class ReviewReason(StrEnum):
    NO_MATCHED_DONOR = "no_matched_donor"
    RELAPSE_AFTER_TRANSPLANT = "relapse_after_transplant"
    RELAPSE_AFTER_CHEMOTHERAPY = "relapse_after_chemotherapy"
    CAR_T_NOT_AVAILABLE = "car_t_not_available"
    LOCAL_DOCTORS_DISAGREE = "local_doctors_disagree"
    REFRACTORY_DISEASE = "refractory_disease"
    RARE_DIAGNOSIS = "rare_diagnosis"


class ReviewQuestion(StrEnum):
    IS_TREATMENT_IN_CHINA_FEASIBLE = "is_treatment_in_china_feasible"
    OPTIONS_NOT_CONSIDERED = "options_not_considered"
    PROCEED_WITH_LOCAL_RECOMMENDATION = "proceed_with_local_recommendation"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Guardian(_Strict):
    name: DisplayName
    language: LanguageTag = "en"
    timezone: TimeZoneName
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL], min_length=1)
    quiet_hours: QuietHours = QuietHours()

    @model_validator(mode="after")
    def _addresses_for_channels(self) -> "Guardian":
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        if Channel.EMAIL in self.channels and not self.email:
            raise ValueError("email channel chosen but no email address given")
        if Channel.SMS in self.channels and not self.phone:
            raise ValueError("sms channel chosen but no phone number given")
        return self


class LocalTeam(_Strict):
    name: DisplayName
    email: EmailAddress
    language: LanguageTag = "en"
    timezone: TimeZoneName
    quiet_hours: QuietHours = QuietHours()
    # The family's recorded consent to inform this team. Can be recorded or withdrawn later.
    consent: bool = False


class Coordinator(_Strict):
    id: StaffId
    email: EmailAddress | None = None
    language: LanguageTag = "en"
    timezone: TimeZoneName = "Asia/Shanghai"


class CaseFile(_Strict):
    case_reference: CaseReference
    pathway: Pathway = Pathway.SECOND_OPINION
    review_reasons: list[ReviewReason] = Field(min_length=1)
    review_question: ReviewQuestion
    coordinator: Coordinator
    guardians: list[Guardian] = Field(min_length=1, max_length=2)
    local_team: LocalTeam | None = None
    # Who holds each record when it is not the usual holder.
    record_holders: dict[RecordType, Holder] = {}
    # Records already in hand at intake (accepted without a chase).
    records_in_hand: list[RecordType] = []
    policy: JourneyPolicy = JourneyPolicy()

    @classmethod
    def intake(cls, data: object) -> "CaseFile":
        """Validate a case file at the front door, with every check (raises ValidationError)."""
        return cls.model_validate(data, context=INTAKE)

    @model_validator(mode="after")
    def _holders_reachable(self) -> "CaseFile":
        if self.local_team is None and Holder.LOCAL_TEAM in self.record_holders.values():
            raise ValueError("record_holders names the local team but no local_team is given")
        return self


def guardian_id(index: int) -> str:
    """Stable recipient ids: guardians are addressed by position, never by name."""
    return f"guardian-{index + 1}"


LOCAL_TEAM_ID = "local-team"
COORDINATOR_ID = "coordinator"
