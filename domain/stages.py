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
    """Fields a milestone may carry (see ``MilestoneCommand``)."""

    OUTCOME = "outcome"
    PATHWAY = "pathway"
    ELIGIBLE = "eligible"
    VISA_TYPE = "visa_type"
    APPLICANT = "applicant"
    EXPIRES_ON = "expires_on"
    ON_DATE = "on_date"
    DAY = "day"


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


M, S, D = Milestone, Stage, Detail

MILESTONES: dict[Milestone, MilestoneRule] = {
    r.milestone: r
    for r in (
        _rule(M.RECORDS_COMPLETE, S.REMOTE_REVIEW, automatic=True, tell_family=True),
        _rule(M.REVIEW_STARTED, S.REMOTE_REVIEW, requires=(M.RECORDS_COMPLETE,), tell_family=True),
        _rule(
            M.REVIEW_OUTCOME,
            S.REMOTE_REVIEW,
            requires=(M.REVIEW_STARTED,),
            required_details={D.OUTCOME},
            optional_details={D.PATHWAY},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            M.ELIGIBILITY_DECIDED,
            S.ELIGIBILITY,
            required_details={D.ELIGIBLE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(M.INVITATION_LETTER_ISSUED, S.VISA_TRAVEL, tell_family=True),
        _rule(
            M.VISA_APPLIED,
            S.VISA_TRAVEL,
            requires=(M.INVITATION_LETTER_ISSUED,),
            required_details={D.VISA_TYPE, D.APPLICANT},
            repeatable=True,
        ),
        _rule(
            M.VISA_GRANTED,
            S.VISA_TRAVEL,
            requires=(M.VISA_APPLIED,),
            required_details={D.VISA_TYPE, D.APPLICANT, D.EXPIRES_ON},
            repeatable=True,
            tell_family=True,
        ),
        _rule(
            M.VISA_REFUSED,
            S.VISA_TRAVEL,
            requires=(M.VISA_APPLIED,),
            required_details={D.APPLICANT},
            repeatable=True,
        ),
        _rule(
            M.TRAVEL_BOOKED,
            S.VISA_TRAVEL,
            requires=(M.VISA_GRANTED,),
            required_details={D.ON_DATE},
            tell_family=True,
        ),
        _rule(
            M.HLA_TYPING_DONE,
            S.PRE_TREATMENT,
            pathways={Pathway.TRANSPLANT},
            repeatable=True,
        ),
        _rule(
            M.DONOR_SELECTED,
            S.PRE_TREATMENT,
            pathways={Pathway.TRANSPLANT},
            requires=(M.HLA_TYPING_DONE,),
            tell_family=True,
        ),
        _rule(M.QUOTE_ISSUED, S.PRE_TREATMENT, tell_family=True),
        _rule(M.DEPOSIT_RECEIVED, S.PRE_TREATMENT, requires=(M.QUOTE_ISSUED,)),
        _rule(
            M.PRE_TREATMENT_EVALUATION_DONE,
            S.PRE_TREATMENT,
            requires=(M.DEPOSIT_RECEIVED,),
            tell_family=True,
        ),
        _rule(
            M.ADMITTED,
            S.TREATMENT_STAY,
            required_details={D.ON_DATE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            M.DAY_ZERO,
            S.TREATMENT_STAY,
            requires=(M.ADMITTED,),
            required_details={D.ON_DATE},
            tell_local_team=True,
        ),
        _rule(
            M.ENGRAFTED,
            S.TREATMENT_STAY,
            pathways={Pathway.TRANSPLANT},
            requires=(M.DAY_ZERO,),
            tell_local_team=True,
        ),
        _rule(
            M.DISCHARGED,
            S.TREATMENT_STAY,
            requires=(M.DAY_ZERO,),
            required_details={D.ON_DATE},
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(M.MONITORING_CHECK, S.MONITORING, required_details={D.DAY}, repeatable=True),
        _rule(
            M.CLEARED_FOR_TRAVEL,
            S.MONITORING,
            tell_family=True,
            tell_local_team=True,
        ),
        _rule(
            M.RETURN_FLIGHT_BOOKED,
            S.RETURN_HOME,
            required_details={D.ON_DATE},
            tell_family=True,
        ),
        _rule(M.HANDOVER_SENT, S.RETURN_HOME, tell_local_team=True),
        _rule(
            M.RETURNED_HOME,
            S.RETURN_HOME,
            requires=(M.RETURN_FLIGHT_BOOKED, M.HANDOVER_SENT),
            tell_local_team=True,
        ),
        _rule(M.FOLLOW_UP_CHECK, S.FOLLOW_UP, repeatable=True),
        _rule(M.FOLLOW_UP_COMPLETED, S.FOLLOW_UP, tell_family=True),
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
        S.REMOTE_REVIEW,
        S.ELIGIBILITY,
        (Requirement(M.REVIEW_OUTCOME, outcome=ReviewOutcome.PROCEED_TO_ELIGIBILITY),),
        pathways=TREATMENT_PATHWAYS,
    ),
    Transition(
        S.REMOTE_REVIEW,
        S.FOLLOW_UP,
        (Requirement(M.REVIEW_OUTCOME, outcome=ReviewOutcome.REMOTE_ADVICE_ONLY),),
    ),
    Transition(
        S.ELIGIBILITY,
        S.VISA_TRAVEL,
        (Requirement(M.ELIGIBILITY_DECIDED, eligible=True),),
        pathways=TREATMENT_PATHWAYS,
    ),
    Transition(S.VISA_TRAVEL, S.PRE_TREATMENT, (Requirement(M.TRAVEL_BOOKED),), TREATMENT_PATHWAYS),
    Transition(
        S.PRE_TREATMENT,
        S.TREATMENT_STAY,
        (
            Requirement(M.DONOR_SELECTED, pathways=frozenset({Pathway.TRANSPLANT})),
            Requirement(M.PRE_TREATMENT_EVALUATION_DONE),
        ),
        TREATMENT_PATHWAYS,
    ),
    Transition(
        S.TREATMENT_STAY,
        S.MONITORING,
        (
            Requirement(M.ENGRAFTED, pathways=frozenset({Pathway.TRANSPLANT})),
            Requirement(M.DISCHARGED),
        ),
        TREATMENT_PATHWAYS,
    ),
    Transition(S.MONITORING, S.RETURN_HOME, (Requirement(M.CLEARED_FOR_TRAVEL),), TREATMENT_PATHWAYS),
    Transition(S.RETURN_HOME, S.FOLLOW_UP, (Requirement(M.RETURNED_HOME),), TREATMENT_PATHWAYS),
)

# The usual order of stages on each pathway: for drawing the journey and "what comes next".
PATHWAY_STAGES: dict[Pathway, tuple[Stage, ...]] = {
    Pathway.SECOND_OPINION: (S.REMOTE_REVIEW, S.FOLLOW_UP),
    Pathway.TRANSPLANT: (
        S.REMOTE_REVIEW,
        S.ELIGIBILITY,
        S.VISA_TRAVEL,
        S.PRE_TREATMENT,
        S.TREATMENT_STAY,
        S.MONITORING,
        S.RETURN_HOME,
        S.FOLLOW_UP,
    ),
}
PATHWAY_STAGES[Pathway.CAR_T] = PATHWAY_STAGES[Pathway.TRANSPLANT]


def transitions_from(stage: Stage, pathway: Pathway) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == stage and pathway in t.pathways]


def milestones_for(stage: Stage, pathway: Pathway) -> list[MilestoneRule]:
    return [r for r in MILESTONES.values() if r.stage == stage and pathway in r.pathways]
