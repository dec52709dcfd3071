"""What each command does to a journey: checks that refuse, and changes that apply.

Each ``check_*`` raises ``Refused`` with a message a coordinator can act on and changes nothing;
each ``apply_*`` calls its check first, then changes the state and returns the notices to send.
The workflow runs the check in the update validator (so a refused command never reaches
history) and the apply in the handler. One module per area; what is derived from state without
changing it lives in ``domain/derived.py``.
"""

from domain.rules.appointments import (
    apply_cancel,
    apply_outcome,
    apply_reschedule,
    apply_schedule,
    check_cancel,
    check_outcome,
    check_reschedule,
    check_schedule,
)
from domain.rules.assignment import apply_reassign, check_reassign
from domain.rules.compaction import compact
from domain.rules.delivery import apply_delivery_report, delivery_failed
from domain.rules.donors import apply_typing, check_typing
from domain.rules.follow_up import apply_extend, check_extend
from domain.rules.handover import apply_handover, check_handover
from domain.rules.effects import Refused, notify
from domain.rules.lifecycle import (
    apply_close,
    apply_pause,
    apply_resume,
    check_close,
    check_pause,
    check_resume,
)
from domain.rules.milestones import apply_milestone, check_milestone
from domain.rules.preferences import (
    apply_channel_reply,
    apply_consent,
    apply_guardian_preferences,
    apply_link_requested,
    apply_opt_out,
    check_consent,
    check_opt_out,
)
from domain.rules.records import (
    apply_record_received,
    apply_review_record,
    check_review_record,
    run_due_chases,
)
from domain.rules.stages import apply_advance, check_advance
from domain.rules.start import start
from domain.rules.timekeeping import run_due_duties

__all__ = [
    "Refused",
    "apply_reassign",
    "check_reassign",
    "apply_cancel",
    "apply_extend",
    "apply_handover",
    "apply_outcome",
    "apply_reschedule",
    "apply_schedule",
    "apply_typing",
    "check_cancel",
    "check_extend",
    "check_handover",
    "check_outcome",
    "check_reschedule",
    "check_schedule",
    "check_typing",
    "compact",
    "run_due_duties",
    "apply_advance",
    "apply_channel_reply",
    "apply_close",
    "apply_consent",
    "apply_delivery_report",
    "apply_guardian_preferences",
    "apply_link_requested",
    "apply_milestone",
    "apply_opt_out",
    "apply_pause",
    "apply_record_received",
    "apply_resume",
    "apply_review_record",
    "check_advance",
    "check_close",
    "check_consent",
    "check_milestone",
    "check_opt_out",
    "check_pause",
    "check_resume",
    "check_review_record",
    "delivery_failed",
    "notify",
    "run_due_chases",
    "start",
]
