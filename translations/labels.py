"""The names of codes (stages, milestones, records, reasons...) in English: the msgids of the
``labels`` catalog, shared by messages, the dashboard and the family page. ``label(group, code,
language)`` names a code in a language; an unknown code is a KeyError, never a blank."""

from __future__ import annotations

from pathlib import Path

from translations.catalogs import LOCALE_DIR, translations


def pgettext_noop(context: str, message: str) -> str:
    """Marks a name for extraction (its group is the context); translated by ``label``."""
    return message


NAMES: dict[str, dict[str, str]] = {
    "stages": {
        "remote_review": pgettext_noop("stages", "Remote case review"),
        "eligibility": pgettext_noop("stages", "Eligibility"),
        "visa_travel": pgettext_noop("stages", "Visa and travel"),
        "pre_treatment": pgettext_noop("stages", "Preparation for treatment"),
        "treatment_stay": pgettext_noop("stages", "Treatment stay"),
        "monitoring": pgettext_noop("stages", "Monitoring after treatment"),
        "return_home": pgettext_noop("stages", "Return home"),
        "follow_up": pgettext_noop("stages", "Remote follow-up"),
        "closed": pgettext_noop("stages", "Closed"),
    },
    "milestones": {
        "records_complete": pgettext_noop("milestones", "All records received"),
        "review_started": pgettext_noop("milestones", "Case review started"),
        "review_outcome": pgettext_noop("milestones", "Case review outcome"),
        "eligibility_decided": pgettext_noop("milestones", "Eligibility decided"),
        "invitation_letter_issued": pgettext_noop("milestones", "Invitation letter issued"),
        "visa_applied": pgettext_noop("milestones", "Visa applied for"),
        "visa_granted": pgettext_noop("milestones", "Visa granted"),
        "visa_refused": pgettext_noop("milestones", "Visa refused"),
        "travel_booked": pgettext_noop("milestones", "Travel booked"),
        "hla_typing_done": pgettext_noop("milestones", "HLA typing done"),
        "donor_selected": pgettext_noop("milestones", "Donor selected"),
        "quote_issued": pgettext_noop("milestones", "Cost estimate issued"),
        "deposit_received": pgettext_noop("milestones", "Deposit received"),
        "pre_treatment_evaluation_done": pgettext_noop("milestones", "Pre-treatment evaluation done"),
        "admitted": pgettext_noop("milestones", "Hospital admission"),
        "day_zero": pgettext_noop("milestones", "Day 0"),
        "engrafted": pgettext_noop("milestones", "Engraftment"),
        "discharged": pgettext_noop("milestones", "Discharge from hospital"),
        "monitoring_check": pgettext_noop("milestones", "Monitoring check"),
        "cleared_for_travel": pgettext_noop("milestones", "Cleared to travel home"),
        "return_flight_booked": pgettext_noop("milestones", "Return flight booked"),
        "handover_sent": pgettext_noop("milestones", "Handover sent to the local team"),
        "returned_home": pgettext_noop("milestones", "Returned home"),
        "follow_up_check": pgettext_noop("milestones", "Follow-up check"),
        "follow_up_completed": pgettext_noop("milestones", "Follow-up completed"),
    },
    "records": {
        "pathology": pgettext_noop("records", "Pathology report"),
        "bone_marrow": pgettext_noop("records", "Bone marrow report"),
        "cytogenetics_molecular": pgettext_noop("records", "Cytogenetics and molecular results"),
        "flow_cytometry_mrd": pgettext_noop("records", "Flow cytometry / MRD results"),
        "csf_cytology": pgettext_noop("records", "Cerebrospinal fluid (CSF) cytology"),
        "imaging": pgettext_noop("records", "Imaging reports"),
        "treatment_history": pgettext_noop("records", "Treatment history"),
        "blood_counts": pgettext_noop("records", "Recent blood counts"),
        "clinical_summary": pgettext_noop("records", "Clinical summary letter"),
        "hla_typing": pgettext_noop("records", "HLA typing results"),
        "passport_copy": pgettext_noop("records", "Passport copy"),
        "organ_function_labs": pgettext_noop("records", "Organ function tests"),
        "infection_serology": pgettext_noop("records", "Infection screening (serology)"),
        "echo_ecg": pgettext_noop("records", "Echocardiogram and ECG"),
    },
    "rejection_reasons": {
        "illegible": pgettext_noop("rejection_reasons", "not legible"),
        "wrong_patient": pgettext_noop("rejection_reasons", "belongs to a different patient"),
        "needs_translation": pgettext_noop("rejection_reasons", "needs a translation"),
        "incomplete": pgettext_noop("rejection_reasons", "incomplete"),
        "outdated": pgettext_noop("rejection_reasons", "out of date"),
        "name_mismatch": pgettext_noop("rejection_reasons", "name does not match the passport"),
    },
    "alerts": {
        "records_overdue": pgettext_noop("alerts", "Records overdue"),
        "records_deadline_passed": pgettext_noop("alerts", "Records deadline passed"),
        "records_ready_for_review": pgettext_noop("alerts", "Records ready for review"),
        "visa_expires_too_soon": pgettext_noop("alerts", "Visa expires too soon"),
        "delivery_failed": pgettext_noop("alerts", "Message delivery failed"),
        "appointment_unresolved": pgettext_noop("alerts", "Appointment not marked done or missed"),
        "check_not_booked": pgettext_noop("alerts", "Planned check not booked"),
        "engraftment_overdue": pgettext_noop("alerts", "Engraftment not recorded in its window"),
        "stage_overdue": pgettext_noop("alerts", "Stage taking longer than expected"),
        "visa_expiring": pgettext_noop("alerts", "Visa ending soon"),
        "follow_up_call_due": pgettext_noop("alerts", "Follow-up call due"),
        "typing_result_pending": pgettext_noop("alerts", "Donor typing result pending"),
        "handover_item_awaited": pgettext_noop("alerts", "Handover documents awaited"),
    },
    "applicants": {
        "patient": pgettext_noop("applicants", "Patient"),
        "caregiver": pgettext_noop("applicants", "Caregiver"),
    },
    "channels": {
        "email": pgettext_noop("channels", "email"),
        "sms": pgettext_noop("channels", "SMS"),
    },
    "pathways": {
        "second_opinion": pgettext_noop("pathways", "second opinion"),
        "transplant": pgettext_noop("pathways", "transplant"),
        "car_t": pgettext_noop("pathways", "CAR-T"),
    },
    "close_reasons": {
        "completed": pgettext_noop("close_reasons", "completed"),
        "family_declined": pgettext_noop("close_reasons", "family declined"),
        "not_a_candidate": pgettext_noop("close_reasons", "not a candidate"),
        "not_eligible": pgettext_noop("close_reasons", "not eligible"),
        "chose_local_treatment": pgettext_noop("close_reasons", "chose local treatment"),
        "lost_contact": pgettext_noop("close_reasons", "lost contact"),
        "child_died": pgettext_noop("close_reasons", "the child died"),
        "other": pgettext_noop("close_reasons", "other"),
    },
    "pause_reasons": {
        "child_admitted_locally": pgettext_noop("pause_reasons", "child admitted locally"),
        "family_needs_time": pgettext_noop("pause_reasons", "family needs time"),
        "awaiting_funds": pgettext_noop("pause_reasons", "awaiting funds"),
        "other": pgettext_noop("pause_reasons", "other"),
    },
    "record_status": {
        "requested": pgettext_noop("record_status", "requested"),
        "received": pgettext_noop("record_status", "received"),
        "accepted": pgettext_noop("record_status", "accepted"),
        "rejected": pgettext_noop("record_status", "rejected"),
        "waived": pgettext_noop("record_status", "waived"),
    },
    "holders": {
        "family": pgettext_noop("holders", "family"),
        "local_team": pgettext_noop("holders", "local team"),
    },
    "message_status": {
        "scheduled": pgettext_noop("message_status", "scheduled"),
        "sending": pgettext_noop("message_status", "sending"),
        "sent": pgettext_noop("message_status", "sent"),
        "failed": pgettext_noop("message_status", "failed"),
        "skipped": pgettext_noop("message_status", "skipped"),
        "cancelled": pgettext_noop("message_status", "cancelled"),
    },
    "outcomes": {
        "remote_advice_only": pgettext_noop("outcomes", "remote advice only"),
        "proceed_to_eligibility": pgettext_noop("outcomes", "proceed to eligibility"),
        "not_a_candidate": pgettext_noop("outcomes", "not a candidate"),
    },
    "events": {
        "record_request": pgettext_noop("events", "records request"),
        "record_reminder": pgettext_noop("events", "records reminder"),
        "stage_change": pgettext_noop("events", "stage update"),
        "appointment": pgettext_noop("events", "date confirmed"),
        "visa_expiry_warning": pgettext_noop("events", "visa dates warning"),
        "local_team_update": pgettext_noop("events", "update to the local team"),
        "coordinator_alert": pgettext_noop("events", "alert to the coordinator"),
        "opt_out_confirmation": pgettext_noop("events", "opt-out confirmation"),
        "reply_acknowledgement": pgettext_noop("events", "reply acknowledgement"),
        "appointment_scheduled": pgettext_noop("events", "appointment booked"),
        "appointment_reminder": pgettext_noop("events", "appointment reminder"),
        "appointment_cancelled": pgettext_noop("events", "appointment cancelled"),
        "follow_up_check_in": pgettext_noop("events", "follow-up check-in"),
        "journey_completed": pgettext_noop("events", "journey completed"),
        "donor_typing_reminder": pgettext_noop("events", "donor typing reminder"),
        "handover_package": pgettext_noop("events", "handover documents"),
        "handover_reminder": pgettext_noop("events", "handover reminder"),
    },
    "appointment_kinds": {
        "pre_treatment_evaluation": pgettext_noop("appointment_kinds", "Pre-treatment evaluation"),
        "admission": pgettext_noop("appointment_kinds", "Hospital admission"),
        "day_zero": pgettext_noop("appointment_kinds", "Day 0 (transplant or infusion)"),
        "monitoring_check": pgettext_noop("appointment_kinds", "Monitoring check"),
        "return_flight": pgettext_noop("appointment_kinds", "Return flight"),
        "follow_up_call": pgettext_noop("appointment_kinds", "Follow-up call"),
        "video_consultation": pgettext_noop("appointment_kinds", "Video consultation with the specialist team"),
    },
    "handover_items": {
        "discharge_summary": pgettext_noop("handover_items", "Discharge summary"),
        "treatment_summary": pgettext_noop("handover_items", "Transplant or infusion summary"),
        "medication_list": pgettext_noop("handover_items", "Medication list"),
        "follow_up_plan": pgettext_noop("handover_items", "Follow-up plan"),
        "vaccination_schedule": pgettext_noop("handover_items", "Vaccination schedule"),
        "centre_contacts": pgettext_noop("handover_items", "Contacts at the centre"),
    },
    "relations": {
        "mother": pgettext_noop("relations", "Mother"),
        "father": pgettext_noop("relations", "Father"),
        "sibling": pgettext_noop("relations", "Brother or sister"),
        "other_relative": pgettext_noop("relations", "Other relative"),
    },
    "typing_status": {
        "kit_sent": pgettext_noop("typing_status", "Kit sent"),
        "sample_requested": pgettext_noop("typing_status", "Sample requested"),
        "sample_taken": pgettext_noop("typing_status", "Sample taken"),
        "result_received": pgettext_noop("typing_status", "Result received"),
    },
    "appointment_status": {
        "scheduled": pgettext_noop("appointment_status", "scheduled"),
        "rescheduled": pgettext_noop("appointment_status", "moved"),
        "cancelled": pgettext_noop("appointment_status", "cancelled"),
        "done": pgettext_noop("appointment_status", "done"),
        "missed": pgettext_noop("appointment_status", "missed"),
    },
}


def label(group: str, code: object, language: str, root: Path = LOCALE_DIR) -> str:
    """The name of ``code`` (an enum member or its value) in ``language``."""
    english = NAMES[group][str(getattr(code, "value", code))]
    return translations(language, "labels", root)[0].pgettext(group, english)
