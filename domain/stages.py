"""Stages, pathways and milestones of a journey, and the one table of allowed transitions.

Everything here is data plus pure functions: the workflow, the CLI and (later) the dashboard
all read the same table, so a stage drawn on a page is a stage the workflow can reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    REMOTE_REVIEW = "remote_review"
    ELIGIBILITY = "eligibility"
    VISA_TRAVEL = "visa_travel"
    PRE_TREATMENT = "pre_treatment"
    TREATMENT_STAY = "treatment_stay"
    MONITORING = "monitoring"
    RETURN_HOME = "return_home"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class Pathway(StrEnum):
    SECOND_OPINION = "second_opinion"
    TRANSPLANT = "transplant"
    CAR_T = "car_t"


TREATMENT_PATHWAYS = frozenset({Pathway.TRANSPLANT, Pathway.CAR_T})
ALL_PATHWAYS = frozenset(Pathway)


class ReviewOutcome(StrEnum):
    REMOTE_ADVICE_ONLY = "remote_advice_only"
    PROCEED_TO_ELIGIBILITY = "proceed_to_eligibility"
    NOT_A_CANDIDATE = "not_a_candidate"


class CloseReason(StrEnum):
    COMPLETED = "completed"
    FAMILY_DECLINED = "family_declined"
    NOT_A_CANDIDATE = "not_a_candidate"
    NOT_ELIGIBLE = "not_eligible"
    CHOSE_LOCAL_TREATMENT = "chose_local_treatment"
    LOST_CONTACT = "lost_contact"
    CHILD_DIED = "child_died"
    OTHER = "other"


class Milestone(StrEnum):
    # 1. remote case review
    RECORDS_COMPLETE = "records_complete"
    REVIEW_STARTED = "review_started"
    REVIEW_OUTCOME = "review_outcome"
    # 2. eligibility
    ELIGIBILITY_DECIDED = "eligibility_decided"
    # 3. visa and travel documents
    INVITATION_LETTER_ISSUED = "invitation_letter_issued"
    VISA_APPLIED = "visa_applied"
    VISA_GRANTED = "visa_granted"
    VISA_REFUSED = "visa_refused"
    TRAVEL_BOOKED = "travel_booked"
    # 4. pre-treatment
    HLA_TYPING_DONE = "hla_typing_done"
    DONOR_SELECTED = "donor_selected"
    QUOTE_ISSUED = "quote_issued"
    DEPOSIT_RECEIVED = "deposit_received"
    PRE_TREATMENT_EVALUATION_DONE = "pre_treatment_evaluation_done"
    # 5. treatment stay
    ADMITTED = "admitted"
    DAY_ZERO = "day_zero"
    ENGRAFTED = "engrafted"
    DISCHARGED = "discharged"
    # 6. post-treatment monitoring
    MONITORING_CHECK = "monitoring_check"
    CLEARED_FOR_TRAVEL = "cleared_for_travel"
    # 7. return home
    RETURN_FLIGHT_BOOKED = "return_flight_booked"
    HANDOVER_SENT = "handover_sent"
    RETURNED_HOME = "returned_home"
    # 8. remote follow-up
    FOLLOW_UP_CHECK = "follow_up_check"
    FOLLOW_UP_COMPLETED = "follow_up_completed"


class Detail(StrEnum):
    """Fields a milestone may carry (see ``domain.commands.ApplyMilestone``)."""

    OUTCOME = "outcome"
    PATHWAY = "pathway"
    ELIGIBLE = "eligible"
    VISA_TYPE = "visa_type"
    APPLICANT = "applicant"
    EXPIRES_ON = "expires_on"
    ON_DATE = "on_date"
    DAY = "day"
    DONOR = "donor"


@dataclass(frozen=True)
class MilestoneRule:
    milestone: Milestone
    stage: Stage
    requires: tuple[Milestone, ...] = ()
    pathways: frozenset[Pathway] = ALL_PATHWAYS
    repeatable: bool = False
    required_details: frozenset[Detail] = frozenset()
    optional_details: frozenset[Detail] = frozenset()
    # Who hears about it automatically (the local team only with consent).
    tell_family: bool = False
    tell_local_team: bool = False
    # Set by the system (e.g. all records in), never applied by hand.
    automatic: bool = False


def _rule(milestone: Milestone, stage: Stage, **kw: object) -> MilestoneRule:
    for key in ("required_details", "optional_details", "pathways"):
        if key in kw:
            kw[key] = frozenset(kw[key])  # type: ignore[call-overload]
    return MilestoneRule(milestone, stage, **kw)  # type: ignore[arg-type]


MILESTONES: dict[Milestone, MilestoneRule] = {
    r.milestone: r
    for r in (
        _rule(Milestone.RECORDS_COMPLETE, Stage.REMOTE_REVIEW, automatic=True, tell_family=True),
        _rule(Milestone.REVIEW_STARTED, Stage.REMOTE_REVIEW, requires=(Milestone.RECORDS_COMPLETE,), tell_family=True),
        _rule(
            Milestone.REVIEW_OUTCOME,
            Stage.REMOTE_REVIEW,
            requires=(Milestone.REVIEW_STARTED,),
            required_details={Detail.OUTCOME},
            optional_details={Detail.PATHWAY},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            Milestone.ELIGIBILITY_DECIDED,
            Stage.ELIGIBILITY,
            required_details={Detail.ELIGIBLE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(Milestone.INVITATION_LETTER_ISSUED, Stage.VISA_TRAVEL, tell_family=True),
        _rule(
            Milestone.VISA_APPLIED,
            Stage.VISA_TRAVEL,
            requires=(Milestone.INVITATION_LETTER_ISSUED,),
            required_details={Detail.VISA_TYPE, Detail.APPLICANT},
            repeatable=True,
        ),
        _rule(
            Milestone.VISA_GRANTED,
            Stage.VISA_TRAVEL,
            requires=(Milestone.VISA_APPLIED,),
            required_details={Detail.VISA_TYPE, Detail.APPLICANT, Detail.EXPIRES_ON},
            repeatable=True,
            tell_family=True,
        ),
        _rule(
            Milestone.VISA_REFUSED,
            Stage.VISA_TRAVEL,
            requires=(Milestone.VISA_APPLIED,),
            required_details={Detail.APPLICANT},
            repeatable=True,
        ),
        _rule(
            Milestone.TRAVEL_BOOKED,
            Stage.VISA_TRAVEL,
            requires=(Milestone.VISA_GRANTED,),
            required_details={Detail.ON_DATE},
            tell_family=True,
        ),
        _rule(
            Milestone.HLA_TYPING_DONE,
            Stage.PRE_TREATMENT,
            pathways={Pathway.TRANSPLANT},
            repeatable=True,
        ),
        _rule(
            Milestone.DONOR_SELECTED,
            Stage.PRE_TREATMENT,
            pathways={Pathway.TRANSPLANT},
            requires=(Milestone.HLA_TYPING_DONE,),
            optional_details={Detail.DONOR},
            tell_family=True,
        ),
        _rule(Milestone.QUOTE_ISSUED, Stage.PRE_TREATMENT, tell_family=True),
        _rule(Milestone.DEPOSIT_RECEIVED, Stage.PRE_TREATMENT, requires=(Milestone.QUOTE_ISSUED,)),
        _rule(
            Milestone.PRE_TREATMENT_EVALUATION_DONE,
            Stage.PRE_TREATMENT,
            requires=(Milestone.DEPOSIT_RECEIVED,),
            tell_family=True,
        ),
        _rule(
            Milestone.ADMITTED,
            Stage.TREATMENT_STAY,
            required_details={Detail.ON_DATE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            Milestone.DAY_ZERO,
            Stage.TREATMENT_STAY,
            requires=(Milestone.ADMITTED,),
            required_details={Detail.ON_DATE},
            tell_local_team=True,
        ),
        _rule(
            Milestone.ENGRAFTED,
            Stage.TREATMENT_STAY,
            pathways={Pathway.TRANSPLANT},
            requires=(Milestone.DAY_ZERO,),
            tell_local_team=True,
        ),
        _rule(
            Milestone.DISCHARGED,
            Stage.TREATMENT_STAY,
            requires=(Milestone.DAY_ZERO,),
            required_details={Detail.ON_DATE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(Milestone.MONITORING_CHECK, Stage.MONITORING, required_details={Detail.DAY}, repeatable=True),
        _rule(
            Milestone.CLEARED_FOR_TRAVEL,
            Stage.MONITORING,
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            Milestone.RETURN_FLIGHT_BOOKED,
            Stage.RETURN_HOME,
            required_details={Detail.ON_DATE},
            tell_family=True,
        ),
        _rule(Milestone.HANDOVER_SENT, Stage.RETURN_HOME, tell_local_team=True),
        _rule(
            Milestone.RETURNED_HOME,
            Stage.RETURN_HOME,
            requires=(Milestone.RETURN_FLIGHT_BOOKED, Milestone.HANDOVER_SENT),
            tell_local_team=True,
        ),
        _rule(Milestone.FOLLOW_UP_CHECK, Stage.FOLLOW_UP, repeatable=True),
        _rule(Milestone.FOLLOW_UP_COMPLETED, Stage.FOLLOW_UP, tell_family=True),
    )
}


@dataclass(frozen=True)
class Requirement:
    """A milestone that must be recorded (in the stage being left) before a transition."""

    milestone: Milestone
    outcome: ReviewOutcome | None = None
    eligible: bool | None = None
    pathways: frozenset[Pathway] = ALL_PATHWAYS  # the requirement applies on these pathways


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    requires: tuple[Requirement, ...]
    pathways: frozenset[Pathway] = field(default=ALL_PATHWAYS)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Stage.REMOTE_REVIEW,
        Stage.ELIGIBILITY,
        (Requirement(Milestone.REVIEW_OUTCOME, outcome=ReviewOutcome.PROCEED_TO_ELIGIBILITY),),
        pathways=TREATMENT_PATHWAYS,
    ),
    Transition(
        Stage.REMOTE_REVIEW,
        Stage.FOLLOW_UP,
        (Requirement(Milestone.REVIEW_OUTCOME, outcome=ReviewOutcome.REMOTE_ADVICE_ONLY),),
    ),
    Transition(
        Stage.ELIGIBILITY,
        Stage.VISA_TRAVEL,
        (Requirement(Milestone.ELIGIBILITY_DECIDED, eligible=True),),
        pathways=TREATMENT_PATHWAYS,
    ),
    Transition(Stage.VISA_TRAVEL, Stage.PRE_TREATMENT, (Requirement(Milestone.TRAVEL_BOOKED),), TREATMENT_PATHWAYS),
    Transition(
        Stage.PRE_TREATMENT,
        Stage.TREATMENT_STAY,
        (
            Requirement(Milestone.DONOR_SELECTED, pathways=frozenset({Pathway.TRANSPLANT})),
            Requirement(Milestone.PRE_TREATMENT_EVALUATION_DONE),
        ),
        TREATMENT_PATHWAYS,
    ),
    Transition(
        Stage.TREATMENT_STAY,
        Stage.MONITORING,
        (
            Requirement(Milestone.ENGRAFTED, pathways=frozenset({Pathway.TRANSPLANT})),
            Requirement(Milestone.DISCHARGED),
        ),
        TREATMENT_PATHWAYS,
    ),
    Transition(Stage.MONITORING, Stage.RETURN_HOME, (Requirement(Milestone.CLEARED_FOR_TRAVEL),), TREATMENT_PATHWAYS),
    Transition(Stage.RETURN_HOME, Stage.FOLLOW_UP, (Requirement(Milestone.RETURNED_HOME),), TREATMENT_PATHWAYS),
)

# The usual order of stages on each pathway: for drawing the journey and "what comes next".
PATHWAY_STAGES: dict[Pathway, tuple[Stage, ...]] = {
    Pathway.SECOND_OPINION: (Stage.REMOTE_REVIEW, Stage.FOLLOW_UP),
    Pathway.TRANSPLANT: (
        Stage.REMOTE_REVIEW,
        Stage.ELIGIBILITY,
        Stage.VISA_TRAVEL,
        Stage.PRE_TREATMENT,
        Stage.TREATMENT_STAY,
        Stage.MONITORING,
        Stage.RETURN_HOME,
        Stage.FOLLOW_UP,
    ),
}
PATHWAY_STAGES[Pathway.CAR_T] = PATHWAY_STAGES[Pathway.TRANSPLANT]


def transitions_from(stage: Stage, pathway: Pathway) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == stage and pathway in t.pathways]


def milestones_for(stage: Stage, pathway: Pathway) -> list[MilestoneRule]:
    return [r for r in MILESTONES.values() if r.stage == stage and pathway in r.pathways]
