"""A sample family through a journey with accelerated time (about two minutes).

Run `make run` in one terminal and `make demo` in another. The demo starts a CAR-T case whose
chase policy counts in seconds instead of days, reports records as a document store would,
lets reminders and an escalation happen, walks the coordinator's milestones (their family
messages go out as ONE merged message), lets a guardian reply with a question that reaches the
coordinator, then to day 0, books the day +7 check as an appointment (confirmed with a calendar
invitation and reminded), and closes the journey. Every message appears as a file in the outbox.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from domain.case_file import CaseFile
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CloseJourney,
    RecordAppointmentOutcome,
    FamilyReply,
    MarkReplyHandled,
    RecordReceived,
    ReviewRecord,
    ScheduleAppointment,
)
from domain.records import RecordStatus, RecordType
from domain.stages import Milestone, Stage
from messaging.outbox import Outbox
from messaging.provider_config import open_ledger
from service.client import connect
from service.config import Settings
from service.inbound import handle_inbound_sms
from service.journeys import CommandRefused, Journeys

# Zones to pick from so one guardian is awake now and the other is (probably) asleep.
ZONES = ["Asia/Almaty", "Europe/Moscow", "Asia/Dubai", "Asia/Shanghai", "Europe/London", "America/New_York",
         "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata", "Africa/Cairo"]


def _local_hour(zone: str) -> int:
    return datetime.now(timezone.utc).astimezone(ZoneInfo(zone)).hour


def demo_case(reference: str) -> CaseFile:
    awake = next((z for z in ZONES if 9 <= _local_hour(z) < 19), "UTC")
    asleep = next((z for z in ZONES if _local_hour(z) >= 22 or _local_hour(z) < 6), awake)
    root = Path(__file__).resolve().parent
    data = json.loads((root / "examples" / "case-car-t-question.json").read_text())
    data["case_reference"] = reference
    data["guardians"][0]["timezone"] = awake
    data["guardians"][1]["timezone"] = asleep
    data["policy"] = {
        "chase": {
            "first_reminder_after": "PT15S",
            "reminder_interval": "PT15S",
            "escalate_after_reminders": 2,
            "records_deadline": "PT10M",
        },
        # Appointment reminders in seconds instead of "two days and the day before".
        "timekeeping": {"appointment_reminders": ["PT30S", "PT15S"]},
        # Family messages falling due within 8 s go out as one (the default waits 3 minutes).
        "batching": {"window": "PT8S"},
    }
    return CaseFile.intake(data)


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


async def show_messages(journeys: Journeys, ref: str, since: int = 0) -> int:
    messages = await journeys.messages(ref)
    for m in messages[since:]:
        if m.sent_at:
            when = f"sent {m.sent_at:%H:%M:%S}"
        elif m.status.value in ("skipped", "cancelled", "failed"):
            when = m.outcome or ""
        else:
            when = f"waits until {m.not_before:%Y-%m-%d %H:%M:%S} UTC"
        said = f" (also says {len(m.merged)} more)" if m.merged else ""
        print(f"   {m.event.value:<21} -> {m.recipient:<11} {m.channel.value:<5} {m.status.value:<9} {when}{said}")
    return len(messages)


async def keep_time(journeys: Journeys, ref: str, outbox: Path) -> None:
    """After the records: visa and travel, day 0, and a day +7 check booked as an appointment,
    confirmed with a calendar invitation and reminded (the demo's policy: 30 s and 15 s before)."""
    say("Visa and travel, then treatment: day 0 was six days ago, so the day +7 check is due tomorrow")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    steps: list[tuple[Milestone, dict[str, object]]] = [
        (Milestone.INVITATION_LETTER_ISSUED, {}),
        (Milestone.VISA_APPLIED, {"visa_type": "S1", "applicant": "patient"}),
        (Milestone.VISA_GRANTED, {"visa_type": "S1", "applicant": "patient", "expires_on": today + timedelta(days=300)}),
        (Milestone.TRAVEL_BOOKED, {"on_date": today - timedelta(days=20)}),
    ]
    for milestone, details in steps:
        await journeys.command(ref, ApplyMilestone.model_validate({"milestone": milestone, **details}))
    await journeys.command(ref, AdvanceStage(to_stage=Stage.PRE_TREATMENT))
    for milestone in (Milestone.QUOTE_ISSUED, Milestone.DEPOSIT_RECEIVED, Milestone.PRE_TREATMENT_EVALUATION_DONE):
        await journeys.command(ref, ApplyMilestone(milestone=milestone))
    await journeys.command(ref, AdvanceStage(to_stage=Stage.TREATMENT_STAY))
    await journeys.command(ref, ApplyMilestone(milestone=Milestone.ADMITTED, on_date=today - timedelta(days=8)))
    await journeys.command(ref, ApplyMilestone(milestone=Milestone.DAY_ZERO, on_date=today - timedelta(days=6)))
    status = await journeys.status(ref)
    print("   the monitoring plan from day 0: " + ", ".join(f"day +{c.day} on {c.due_on}" for c in status.planned_checks))

    starts = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(seconds=50)
    say(f"The coordinator books the day +7 check in Guangzhou at {starts:%H:%M:%S} (venue time)")
    await journeys.command(ref, ScheduleAppointment(kind="monitoring_check", starts_at=starts.replace(tzinfo=None),
                                                    venue_timezone="Asia/Shanghai", place="GZ-HOSP-3", check_day=7))
    await asyncio.sleep(10)  # the family's messages wait the demo's 8 s window, then go out as one
    invitation = next((f for f in sorted(outbox.glob("*-email.txt")) if "BEGIN:VCALENDAR" in f.read_text(encoding="utf-8")), None)
    if invitation is not None:
        text = invitation.read_text(encoding="utf-8")
        ics = text[text.index("BEGIN:VCALENDAR"):] if "BEGIN:VCALENDAR" in text else ""
        print(f"   confirmation with a calendar invitation ({invitation.name}):")
        for line in ics.splitlines():
            if line.split(":", 1)[0] in ("METHOD", "UID", "SEQUENCE", "DTSTART;TZID=Asia/Shanghai", "LOCATION", "STATUS"):
                print(f"     {line}")
    print("   reminders follow 30 s and 15 s before it (each guardian outside their quiet hours)")
    await asyncio.sleep(max(0.0, (starts - datetime.now(ZoneInfo("Asia/Shanghai"))).total_seconds()) + 2)
    await journeys.command(ref, RecordAppointmentOutcome(appointment_id="A1", outcome="done", by="coord-lin"))
    await journeys.command(ref, ApplyMilestone(milestone=Milestone.MONITORING_CHECK, day=7, by="coord-lin"))
    status = await journeys.status(ref)
    booked = ", ".join(f"+{c.day} {'booked/done' if c.booked else 'to book'}" for c in status.planned_checks)
    print(f"   the check is marked done and recorded; the plan now reads: {booked}")
def _outbox_file(outbox: Path, key: str) -> Path:
    return Outbox(outbox.parent).path_for(key)


async def _reply(settings: Settings, journeys: Journeys, ref: str, phone: str, text: str) -> None:
    """As the Twilio webhook or `starter.py inbound-sms` would: routed through the ledger's
    contact index when there is one, else told to the journey directly."""
    ledger = open_ledger(settings.delivery)
    if ledger is None:
        await journeys.signal(ref, FamilyReply(recipient="guardian-1", channel="sms", text=text))
        return
    try:
        await handle_inbound_sms(journeys.client, ledger, phone, text)
    finally:
        ledger.close()


async def run_demo(settings: Settings) -> None:
    client = await connect(settings)
    pollers = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=settings.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    if not pollers.pollers:
        print(f"note: no worker is polling task queue '{settings.task_queue}' yet; start one with `make run`.")

    journeys = Journeys(client, settings.task_queue)
    ref = f"WJ-{datetime.now().year}-{random.randint(100000, 999999)}"
    case = demo_case(ref)
    outbox = settings.outbox_dir / ref
    say(f"A family asks for a remote case review: case {ref} (CAR-T question, two guardians writing Russian)")
    print("   every journey starts as a remote review (pathway second_opinion); the review's outcome chooses CAR-T")
    print(f"   guardian-1 lives in {case.guardians[0].timezone} (awake now), guardian-2 in "
          f"{case.guardians[1].timezone} (quiet hours 21:00-08:00 apply)")
    print("   the chase policy counts in seconds for the demo: first reminder after 15 s, then every 15 s, "
          "escalation after 2 reminders")
    await journeys.start(case)
    await asyncio.sleep(3)
    seen = await show_messages(journeys, ref)
    print(f"   every message is a file in {outbox}/")

    say("The document store reports six records uploaded; the coordinator accepts them")
    for t in [RecordType.PATHOLOGY, RecordType.BONE_MARROW, RecordType.CYTOGENETICS_MOLECULAR,
              RecordType.FLOW_CYTOMETRY_MRD, RecordType.TREATMENT_HISTORY, RecordType.BLOOD_COUNTS]:
        await journeys.report_record_received(ref, RecordReceived(record_type=t, document_id=f"dms-{t.value}"))
    await asyncio.sleep(1)
    for t in [RecordType.PATHOLOGY, RecordType.BONE_MARROW, RecordType.CYTOGENETICS_MOLECULAR,
              RecordType.FLOW_CYTOMETRY_MRD, RecordType.TREATMENT_HISTORY, RecordType.BLOOD_COUNTS]:
        await journeys.command(ref, ReviewRecord(record_type=t, decision="accept", by="coord-lin"))

    say("Waiting: the rest (CSF cytology, imaging) is chased, then escalated to the coordinator")
    for _ in range(120):  # the chase starts once the request has gone out (after the 8 s window)
        await asyncio.sleep(1)
        status = await journeys.status(ref)
        if status.overdue:
            break
    seen = await show_messages(journeys, ref, seen)
    status = await journeys.status(ref)
    for alert in status.open_alerts:
        print(f"   ALERT for the coordinator: {alert.kind.value} ({', '.join(t.value for t in alert.record_types)})")

    say("The coordinator waives CSF cytology; imaging arrives and is accepted: records are complete")
    await journeys.command(ref, ReviewRecord(record_type=RecordType.CSF_CYTOLOGY, decision="waive"))
    await journeys.report_record_received(ref, RecordReceived(record_type=RecordType.IMAGING, document_id="dms-img"))
    await asyncio.sleep(1)
    await journeys.command(ref, ReviewRecord(record_type=RecordType.IMAGING, decision="accept"))

    say("A refused command shows the validator's message (nothing is written to the journey)")
    try:
        await journeys.command(ref, AdvanceStage(to_stage=Stage.VISA_TRAVEL))
    except CommandRefused as refused:
        print(f"   refused: {refused}")

    say("Specialists review; the outcome is to proceed to eligibility on the CAR-T pathway")
    await journeys.command(ref, ApplyMilestone(milestone=Milestone.REVIEW_STARTED))
    await journeys.command(ref, ApplyMilestone(
        milestone=Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway="car_t"))
    print("   the CAR-T pathway adds its records (passport, organ function, serology, echo/ECG): they are requested")
    for t in [RecordType.PASSPORT_COPY, RecordType.ORGAN_FUNCTION_LABS, RecordType.INFECTION_SEROLOGY, RecordType.ECHO_ECG]:
        await journeys.report_record_received(ref, RecordReceived(record_type=t, document_id=f"dms-{t.value}"))
    await journeys.command(ref, AdvanceStage(to_stage=Stage.ELIGIBILITY))
    await journeys.command(ref, ApplyMilestone(milestone=Milestone.ELIGIBILITY_DECIDED, eligible=True))
    await journeys.command(ref, AdvanceStage(to_stage=Stage.VISA_TRAVEL))
    await asyncio.sleep(2)
    seen = await show_messages(journeys, ref, seen)

    say("Those milestones fall due together: each family member gets ONE message saying all of it")
    await asyncio.sleep(10)
    seen = await show_messages(journeys, ref, seen)
    merged = [m for m in await journeys.messages(ref) if m.merged and m.recipient == "guardian-1" and m.channel.value == "email"]
    for m in merged[-1:]:
        print(f"   guardian-1's e-mail {m.key} says {len(m.merged) + 1} things in order; its file:")
        print("   " + _outbox_file(outbox, m.key).read_text(encoding="utf-8").replace("\n", "\n   ")[:1600])

    say("Guardian-1 answers by SMS: 'Спасибо, а когда будет ответ?'")
    await _reply(settings, journeys, ref, case.guardians[0].phone or "", "Спасибо, а когда будет ответ?")
    for _ in range(20):
        status = await journeys.status(ref)
        if status.open_replies:
            break
        await asyncio.sleep(0.5)
    for reply in status.open_replies:
        print(f"   the coordinator sees it in Today and on the journey's page: {reply.recipient} by {reply.channel.value}: "
              f"{reply.text!r}")
    await asyncio.sleep(2)
    seen = await show_messages(journeys, ref, seen)
    for reply in status.open_replies:
        await journeys.command(ref, MarkReplyHandled(reply_id=reply.id, by="coord-lin"))
        print(f"   coord-lin answers the family and marks {reply.id} handled")
    await keep_time(journeys, ref, outbox)
    seen = await show_messages(journeys, ref, seen)

    status = await journeys.status(ref)
    say(f"Where the family stands: stage {status.stage.value}, pathway {status.pathway.value}")
    outstanding = [r.record_type.value for r in status.records if r.status != RecordStatus.ACCEPTED and r.status != RecordStatus.WAIVED]
    print(f"   records awaiting a decision: {', '.join(outstanding) or 'none'}")
    for step in status.next_steps:
        print(f"   next: {step.stage.value} ({'ready' if step.ready else 'needs ' + '; '.join(step.missing)})")

    say("The family decides to continue locally: the coordinator closes the journey")
    await journeys.command(ref, CloseJourney(reason="chose_local_treatment", by="coord-lin"))
    await journeys.handle(ref).result()
    messages = await journeys.messages(ref)
    cancelled = [m for m in messages if m.status.value == "cancelled"]
    print(f"   closed; {len(cancelled)} deferred message(s) cancelled, nothing more will be sent")
    files = sorted(outbox.glob("*.txt")) if outbox.exists() else []
    say(f"{len(files)} messages in the outbox ({outbox}):")
    for f in files:
        print(f"   {f.name}")
    print(f"\nTry: .venv/bin/python starter.py status {ref}   |   starter.py timeline {ref}   |   web UI: journey-{ref}")
