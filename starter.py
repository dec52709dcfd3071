"""Command line for backend systems and coordinators.

    python starter.py start case.json              start a journey (again: no second journey)
    python starter.py record-received REF TYPE DOC_ID
    python starter.py review-record REF TYPE accept|reject|waive [--reason R]
    python starter.py milestone REF MILESTONE [--outcome ..] [--pathway ..] [--on-date ..] ...
    python starter.py advance REF STAGE
    python starter.py pause REF REASON | resume REF | close REF REASON
    python starter.py consent REF grant|withdraw
    python starter.py opt-out REF guardian-1 sms [--undo]
    python starter.py status REF [--json] | timeline REF | messages REF [--json]
    python starter.py list [--stage S] [--coordinator ID] [--overdue] [--closed] [--json]
    python starter.py inbound-sms --from +7701... --body STOP     (routed through the ledger)
    python starter.py delivery-status --provider-id SM... --status undelivered [--code 30003]
    python starter.py demo                         a sample family, accelerated time

Bad input: one clear line on stderr, exit code 2, nothing changed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError, RPCStatusCode

from domain.case_file import CaseFile
from domain.appointments import AppointmentKind
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CancelAppointment,
    CloseJourney,
    ExtendFollowUp,
    PauseJourney,
    PauseReason,
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
from domain.donors import NextStepHolder, Relation, TypingStatus
from domain.handover import HandoverAction, HandoverItemType
from domain.records import RecordType, RejectionReason
from domain.stages import CloseReason, Milestone, Pathway, ReviewOutcome, Stage
from domain.validation import describe
from messaging.provider_config import open_ledger
from service.client import connect
from service.config import ConfigurationError, Settings
from service.inbound import handle_delivery_status, handle_inbound_sms
from service.journeys import JourneyError, Journeys
from service.replay_check import ReplayCheck
from workflows.journey_types import UPDATES, Query


class InputProblem(Exception):
    """Bad input from the command line; printed as one line."""


def build(model: Any, what: str, **fields: Any) -> Any:  # a domain.commands model (has .intake)
    try:
        return model.intake({k: v for k, v in fields.items() if v is not None})
    except ValidationError as err:
        raise InputProblem(describe(err, what)) from None


def appointment_command(args: argparse.Namespace) -> BaseModel:
    """``appointment REF book KIND TIME`` / ``move A1 TIME`` / ``cancel A1`` / ``done A1`` / ``missed A1``."""
    a = args.action
    if a in ("book", "move") and not args.starts_at:
        raise InputProblem(f"appointment {a} needs the venue's local time, e.g. 2027-03-04T09:30")
    if a not in ("book", "move") and args.starts_at:
        raise InputProblem(f"appointment {a} takes no time")
    if a == "book":
        attendees = args.attendees.split(",") if args.attendees else None
        return build(ScheduleAppointment, "appointment", kind=args.what, starts_at=args.starts_at,
                     venue_timezone=args.zone, place=args.place, check_day=args.check_day, attendees=attendees,
                     note=args.note, by=args.by)
    if a == "move":
        return build(RescheduleAppointment, "appointment", appointment_id=args.what, starts_at=args.starts_at,
                     venue_timezone=args.zone, place=args.place, note=args.note, by=args.by)
    if a == "cancel":
        return build(CancelAppointment, "appointment", appointment_id=args.what, note=args.note, by=args.by)
    return build(RecordAppointmentOutcome, "appointment", appointment_id=args.what, outcome=a, note=args.note, by=args.by)


def load_case_file(path: str) -> CaseFile:
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputProblem(f"cannot read case file {path}: {err.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputProblem(f"case file {path} is not valid JSON (line {err.lineno}, column {err.colno})") from None
    if not isinstance(data, dict):
        raise InputProblem(f"case file {path} must hold a JSON object")
    try:
        return CaseFile.intake(data)
    except ValidationError as err:
        raise InputProblem(describe(err, "case file")) from None


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        print(value.model_dump_json(indent=2))
    elif isinstance(value, list):
        print(json.dumps([v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value], indent=2))
    else:
        print(json.dumps(value, indent=2, default=str))


def _when(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "-"


def print_status(status: Any) -> None:
    flags = [f for f, on in (("PAUSED", status.paused), ("CLOSED", status.closed), ("OVERDUE", status.overdue)) if on]
    print(f"Journey {status.case_reference}  [{status.pathway.value}]  coordinator {status.coordinator}")
    print(f"  stage: {status.stage.value} since {_when(status.stage_entered_at)}  {' '.join(flags)}")
    if status.close_reason:
        print(f"  closed: {status.close_reason}")
    if status.pause_reason:
        print(f"  paused: {status.pause_reason}")
    print(f"  local team consent: {'yes' if status.local_team_consent else 'no'}")
    if status.opted_out:
        print("  opted out: " + ", ".join(f"{who} ({', '.join(ch)})" for who, ch in status.opted_out.items()))
    for step in status.next_steps:
        state = "ready" if step.ready else "waiting for " + "; ".join(step.missing)
        print(f"  next: advance to {step.stage.value} ({state})")
    if status.milestones_open:
        print(f"  milestones open in this stage: {', '.join(status.milestones_open)}")
    if status.projected_return:
        print(f"  projected return: {status.projected_return}")
    print("  records:")
    for r in status.records:
        extra = ""
        if r.next_reminder_at:
            extra = f"next chase {_when(r.next_reminder_at)}"
        if r.escalated:
            extra = "ESCALATED"
        if r.rejection_reason:
            extra += f" (rejected: {r.rejection_reason})"
        print(f"    {r.record_type.value:<24} {r.status.value:<9} asked of {r.asked_of:<28} reminders {r.reminders_sent}  {extra}")
    for ap in status.appointments:
        place = f" at {ap.place}" if ap.place else ""
        print(f"  appointment {ap.id}: {ap.kind.value} {_when(ap.starts_at)}{place} ({ap.venue_timezone}; {ap.status.value})")
    for check in status.planned_checks:
        print(f"  planned check day +{check.day}: due {check.due_on}  {'booked' if check.booked else 'NOT BOOKED'}")
    if status.follow_up:
        f = status.follow_up
        left = "completing" if f.completing else f"next {_when(f.next_check_in_at)}"
        print(f"  follow-up: {f.check_ins_done} of {f.check_ins_planned} check-ins, {left}")
    for d in status.donors:
        grade = f" {d.match_grade}" if d.match_grade else ""
        print(f"  donor typing {d.id}: {d.status.value}{grade} (next step: {d.holder.value})")
    for h in status.handover:
        print(f"  handover {h.item.value}: {h.status.value}")
    for a in status.open_alerts:
        detail = ", ".join(f"{k}={v}" for k, v in a.detail.items() if k in ("day", "stage", "appointment_id", "days_left"))
        print(f"  alert: {a.kind.value} at {_when(a.at)} {', '.join(t.value for t in a.record_types)}{detail}")
    for m in status.delivery_problems:
        print(f"  delivery problem: {m.event.value} to {m.recipient} by {m.channel.value}: {m.outcome or m.delivery}")
    for m in status.scheduled_messages:
        print(f"  scheduled: {m.event.value} to {m.recipient} by {m.channel.value} not before {_when(m.not_before)}")
    print(f"  next wake-up: {_when(status.next_wakeup)}   workflow runs: {status.runs}")


def print_messages(messages: list[Any]) -> None:
    if not messages:
        print("no messages")
    for m in messages:
        print(
            f"{_when(m.created_at)}  {m.event.value:<20} {m.recipient:<12} {m.channel.value:<5} "
            f"{m.status.value:<9} {('sent ' + _when(m.sent_at)) if m.sent_at else ('not before ' + _when(m.not_before))}"
            f"  {m.delivery or ''} {m.outcome or ''}"
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="starter.py", description="Waypoint Journeys: start and steer journeys.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("start", help="start a journey from a JSON case file")
    s.add_argument("case_file")

    s = sub.add_parser("record-received", help="report a record received (from a document store)")
    s.add_argument("case_reference")
    s.add_argument("record_type", help=", ".join(t.value for t in RecordType))
    s.add_argument("document_id")

    s = sub.add_parser("review-record", help="accept, reject (with --reason) or waive a checklist item")
    s.add_argument("case_reference")
    s.add_argument("record_type")
    s.add_argument("decision", help="accept | reject | waive")
    s.add_argument("--reason", help=", ".join(r.value for r in RejectionReason))
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("milestone", help="record a milestone")
    s.add_argument("case_reference")
    s.add_argument("milestone", help=", ".join(m.value for m in Milestone))
    s.add_argument("--outcome", help=", ".join(o.value for o in ReviewOutcome))
    s.add_argument("--pathway", help=", ".join(x.value for x in Pathway))
    s.add_argument("--eligible", choices=["yes", "no"])
    s.add_argument("--visa-type")
    s.add_argument("--applicant", help="patient | caregiver")
    s.add_argument("--expires-on", help="YYYY-MM-DD")
    s.add_argument("--on-date", help="YYYY-MM-DD")
    s.add_argument("--day", help="monitoring day, e.g. 30")
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("advance", help="move the journey to its next stage")
    s.add_argument("case_reference")
    s.add_argument("stage", help=", ".join(x.value for x in Stage if x != Stage.CLOSED))
    s.add_argument("--by")

    s = sub.add_parser("pause", help="pause (timers and messages wait)")
    s.add_argument("case_reference")
    s.add_argument("reason", help=", ".join(r.value for r in PauseReason))
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("resume", help="resume a paused journey")
    s.add_argument("case_reference")
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("close", help="close the journey: no automated message goes out after this")
    s.add_argument("case_reference")
    s.add_argument("reason", help=", ".join(r.value for r in CloseReason))
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("appointment", help="book, move, cancel or mark an appointment (venue's local time)")
    s.add_argument("case_reference")
    s.add_argument("action", choices=["book", "move", "cancel", "done", "missed"])
    s.add_argument("what", help="book: the kind (" + ", ".join(k.value for k in AppointmentKind) + "); otherwise: the appointment id (A1)")
    s.add_argument("starts_at", nargs="?", help="book / move: the venue's local time, e.g. 2027-03-04T09:30")
    s.add_argument("--zone", help="the venue's IANA zone (default Asia/Shanghai)")
    s.add_argument("--place", help="a place reference, e.g. GZ-HOSP-3")
    s.add_argument("--check-day", help="the day +N of the monitoring plan this check serves")
    s.add_argument("--attendees", help="comma-separated: family, local_team, coordinator")
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("donor-typing", help="a relative's HLA typing moved on (transplant)")
    s.add_argument("case_reference")
    s.add_argument("relation", help=", ".join(r.value for r in Relation))
    s.add_argument("status", help=", ".join(t.value for t in TypingStatus))
    s.add_argument("--number", help="sibling or other relative number (1-9)")
    s.add_argument("--holder", help="who holds the next step: " + ", ".join(h.value for h in NextStepHolder))
    s.add_argument("--grade", help="the match grade with the result, e.g. 10/10 or '5/10 haplo'")
    s.add_argument("--by")

    s = sub.add_parser("handover", help="a handover item received, sent, acknowledged or waived")
    s.add_argument("case_reference")
    s.add_argument("item", help=", ".join(i.value for i in HandoverItemType))
    s.add_argument("action", help=", ".join(a.value for a in HandoverAction))
    s.add_argument("--by")

    s = sub.add_parser("extend-follow-up", help="more follow-up check-ins before the journey completes itself")
    s.add_argument("case_reference")
    s.add_argument("check_ins", help="how many more (1-12)")
    s.add_argument("--note")
    s.add_argument("--by")

    s = sub.add_parser("consent", help="record or withdraw consent to inform the local team")
    s.add_argument("case_reference")
    s.add_argument("action", choices=["grant", "withdraw"])
    s.add_argument("--by")

    s = sub.add_parser("opt-out", help="stop (or with --undo, restart) a channel for a guardian")
    s.add_argument("case_reference")
    s.add_argument("recipient", help="guardian-1 | guardian-2")
    s.add_argument("channel", help="email | sms")
    s.add_argument("--undo", action="store_true")
    s.add_argument("--by")

    for name in (Query.STATUS.value, Query.MESSAGES.value, Query.TIMELINE.value):
        s = sub.add_parser(name, help=f"show a journey's {name}")
        s.add_argument("case_reference")
        s.add_argument("--json", action="store_true")

    s = sub.add_parser("list", help="list journeys")
    s.add_argument("--stage")
    s.add_argument("--coordinator")
    s.add_argument("--overdue", action="store_true")
    s.add_argument("--closed", action="store_true", help="include closed journeys")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("inbound-sms", help="an SMS reply arrived (provider webhook stand-in): STOP/START routing")
    s.add_argument("--from", dest="from_number", required=True, help="sender in E.164")
    s.add_argument("--body", required=True)

    s = sub.add_parser("delivery-status", help="a provider status callback arrived: tell the journey")
    s.add_argument("--provider-id", required=True)
    s.add_argument("--status", required=True, help="delivered | undelivered | failed | bounced")
    s.add_argument("--code", help="the provider's error code, if any")

    sub.add_parser("demo", help="run a sample family through a journey with accelerated time")

    s = sub.add_parser("check-replay", help="replay journeys' real histories on this code (before a deploy; "
                                            "on call, to find a stuck journey and where to reset it)")
    s.add_argument("case_reference", nargs="*", help="these journeys (default: every open journey)")
    s.add_argument("--all", action="store_true", help="closed journeys too")
    s.add_argument("--keep", metavar="DIR", help="save histories that do not replay in DIR")
    return p


Command = Callable[[Journeys, argparse.Namespace], Awaitable[None]]


async def _update(journeys: Journeys, ref: str, cmd: BaseModel) -> None:
    result = await journeys.command(ref, cmd)
    print(f"{result.case_reference}: stage {result.stage.value}, pathway {result.pathway.value}"
          f"{', paused' if result.paused else ''}{', closed (' + str(result.close_reason) + ')' if result.closed else ''}")


async def check_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every run checked replays, 1 when one does not (with how to recover)."""
    refs = list(args.case_reference)
    client = await connect(settings)
    journeys = Journeys(client, settings.task_queue)
    handles = [journeys.handle(ref) for ref in refs]  # a malformed reference stops here, before any lookup
    check = ReplayCheck(settings=settings)
    keep = Path(args.keep) if args.keep else None
    if refs:
        outcomes = []
        for ref, handle in zip(refs, handles, strict=True):
            try:
                run_id = (await handle.describe()).run_id
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    raise InputProblem(f"no journey with case reference {ref}") from None
                raise
            outcomes.append(await check.run(client, handle.id, run_id, keep))
    else:
        outcomes = [o async for o in check.journeys(client, open_only=not args.all, keep_failing_in=keep)]
    for o in outcomes:
        if o.replays and refs:
            print(f"{o.workflow_id}: replays ({o.events} events)")
        elif not o.replays:
            print(f"{o.workflow_id} (run {o.run_id}): DOES NOT REPLAY: {o.failure}")
            if o.reset_command():
                print(f"    to recover, run its first failing task again: {o.reset_command()}")
    print(f"{sum(o.replays for o in outcomes)} of {len(outcomes)} runs replay on this code")
    return 0 if all(o.replays for o in outcomes) else 1


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "demo":
        from demo import run_demo  # noqa: PLC0415 - only the demo needs it

        await run_demo(settings)
        return 0
    if args.command == "check-replay":
        return await check_replay(args, settings)
    # Validate everything local before connecting: bad input never reaches Temporal.
    payload: BaseModel | None = None
    c = args.command
    if c == "start":
        payload = load_case_file(args.case_file)
    elif c == "record-received":
        payload = build(RecordReceived, "record", record_type=args.record_type, document_id=args.document_id)
    elif c == "review-record":
        payload = build(ReviewRecord, "record decision", record_type=args.record_type, decision=args.decision,
                        reason=args.reason, note=args.note, by=args.by)
    elif c == "milestone":
        eligible = None if args.eligible is None else args.eligible == "yes"
        payload = build(ApplyMilestone, "milestone", milestone=args.milestone, outcome=args.outcome,
                        pathway=args.pathway, eligible=eligible, visa_type=args.visa_type,
                        applicant=args.applicant, expires_on=args.expires_on, on_date=args.on_date,
                        day=args.day, note=args.note, by=args.by)
    elif c == "advance":
        payload = build(AdvanceStage, "stage change", to_stage=args.stage, by=args.by)
    elif c == "pause":
        payload = build(PauseJourney, "pause", reason=args.reason, note=args.note, by=args.by)
    elif c == "resume":
        payload = build(ResumeJourney, "resume", note=args.note, by=args.by)
    elif c == "close":
        payload = build(CloseJourney, "close", reason=args.reason, note=args.note, by=args.by)
    elif c == "consent":
        payload = build(SetConsent, "consent", granted=args.action == "grant", by=args.by)
    elif c == "opt-out":
        payload = build(SetChannelOptOut, "opt-out", recipient=args.recipient, channel=args.channel,
                        opted_out=not args.undo, by=args.by)
    elif c == "appointment":
        payload = appointment_command(args)
    elif c == "donor-typing":
        payload = build(RecordDonorTyping, "donor typing", relation=args.relation, status=args.status, number=args.number,
                        holder=args.holder, match_grade=args.grade, by=args.by)
    elif c == "handover":
        payload = build(UpdateHandoverItem, "handover item", item=args.item, action=args.action, by=args.by)
    elif c == "extend-follow-up":
        payload = build(ExtendFollowUp, "follow-up extension", check_ins=args.check_ins, note=args.note, by=args.by)
    elif c == "list" and args.stage is not None:
        build(AdvanceStage, "stage", to_stage=args.stage)

    if c in ("inbound-sms", "delivery-status"):
        await run_inbound(args, settings)
        return 0

    client = await connect(settings)
    journeys = Journeys(client, settings.task_queue)
    if c == "start":
        assert isinstance(payload, CaseFile)
        started = await journeys.start(payload)
        if started.created:
            print(f"started journey {started.case_reference} (workflow id {started.workflow_id})")
        else:
            print(f"journey {started.case_reference} already exists (workflow id {started.workflow_id}); nothing changed")
    elif c == "record-received":
        assert isinstance(payload, RecordReceived)
        await journeys.report_record_received(args.case_reference, payload)
        print(f"{args.case_reference}: {payload.record_type.value} reported received")
    elif payload is not None and type(payload) in UPDATES:
        await _update(journeys, args.case_reference, payload)
    elif c == "status":
        status = await journeys.status(args.case_reference)
        _print_json(status) if args.json else print_status(status)
    elif c == "messages":
        messages = await journeys.messages(args.case_reference)
        _print_json(messages) if args.json else print_messages(messages)
    elif c == "timeline":
        entries = await journeys.timeline(args.case_reference)
        if args.json:
            _print_json(entries)
        for e in [] if args.json else entries:
            detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
            print(f"{_when(e.at)}  {e.kind:<28} {detail}{'  by ' + e.by if e.by else ''}")
    elif c == "list":
        found = await journeys.find(stage=args.stage, coordinator=args.coordinator,
                                    overdue=True if args.overdue else None, include_closed=args.closed)
        if args.json:
            _print_json(found)
            return 0
        if not found:
            print("no journeys")
        for j in found:
            flags = " ".join(f for f, on in (("OVERDUE", j.overdue), ("PAUSED", j.paused),
                                             ("ATTENTION", j.needs_attention)) if on)
            print(f"{j.case_reference:<16} {j.stage:<16} {j.pathway:<15} {j.coordinator:<16} {j.status:<10} {flags}")
    return 0


async def run_inbound(args: argparse.Namespace, settings: Settings) -> None:
    """Inbound events need the delivery ledger (it maps numbers and provider ids to journeys)."""
    try:
        ledger = open_ledger(settings.delivery)
    except ValueError as err:
        raise InputProblem(f"configuration: {err}") from None
    if ledger is None:
        raise InputProblem("inbound events need the delivery ledger (WAYPOINT_LEDGER_URL, and WAYPOINT_CONTACT_HASH_KEY "
                           "unless it is a local SQLite file)")
    client = await connect(settings)
    try:
        if args.command == "inbound-sms":
            result = await handle_inbound_sms(client, ledger, args.from_number, args.body)
        else:
            result = await handle_delivery_status(client, ledger, args.provider_id, args.status, args.code)
    finally:
        ledger.close()
    told = ", ".join(result.signalled) or "no journey"
    print(f"{'understood' if result.understood else 'ignored'}: {result.detail}; told {told}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as err:  # names the variable, never its value
        print(f"error: configuration: {err}", file=sys.stderr)
        return 2
    try:
        code = asyncio.run(run(args, settings))
    except BrokenPipeError:
        # The reader went away (`starter.py status REF | head`): not an error of ours. Anything
        # still buffered for stdout goes nowhere, so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (InputProblem, JourneyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        if "connect" in str(err).lower():
            print(f"error: cannot reach Temporal: {err}", file=sys.stderr)
            return 3
        raise
    return code


def exit_now(code: int) -> None:
    """Exit without interpreter teardown: the Temporal client's Rust threads can outlive the event
    loop and crash a finalizing interpreter (temporalio/sdk-python#300), turning a success into
    a segfault exit code. Everything is flushed first."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away after the last write
        pass
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())

