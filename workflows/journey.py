"""One durable workflow per family's journey.

Handlers only change state (through the pure rules in ``domain``) and plan messages; the main
loop is the only place that sends, so a command is applied whole or not at all, and the loop
can always tell what is due next. Coordinator commands are updates whose validators refuse a
bad command before anything reaches history; facts from backend systems are signals; reading
is by query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributePair
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from domain import derived, rules
    from domain.commands import (
        AdvanceStage,
        ApplyMilestone,
        CancelAppointment,
        ChannelReply,
        CloseJourney,
        DeliveryReport,
        ExtendFollowUp,
        GuardianPreferences,
        LinkRequested,
        FamilyReply,
        MarkReplyHandled,
        PauseJourney,
        ReassignJourney,
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
    from domain import alerts, batching, rejections, replies
    from domain.notices import Defer, Skip, decide, find_recipient
    from domain.state import (
        JourneyState,
        Message,
        MessageEvent,
        MessageStatus,
        TimelineEntry,
    )
    from domain.digest import JourneyDigest, digest, needs_person, records_deadline
    from domain.status import GuardianView, JourneyStatus, JourneySummary, guardian_view, journey_status, summarize
    from domain.validation import describe
    from messaging.delivery_contract import (
        DELIVER_MESSAGE,
        DELIVERY_RETRY,
        DeliveryRequest,
        DeliveryResult,
        MessagePart,
    )
    from workflows import search_attributes as sa
    from workflows.journey_types import (
        DIGEST_MEMO,
        JOURNEY_WORKFLOW,
        SIGNALS,
        STATUS_MEMO,
        UPDATES,
        JourneyInput,
        Query,
    )

# The patch that introduced the status memo (docs/changing-workflows.md): journeys started
# before it replay without the memo.
STATUS_MEMO_PATCH = "journey-status-memo-v1"
# The patch that brought timekeeping after the records (appointments, plans, stage clocks...):
# a run that has it keeps state.timekeeping; runs recorded before it replay without.
TIMEKEEPING_PATCH = "journey-timekeeping-v1"
# The compact read model (domain/digest.py) replaces the full status memo: published only when it
# changes, with the search attributes that put a family on Today; attributes set at start are
# not upserted again. The full status is read by query.
DIGEST_PATCH = "journey-digest-memo-v1"
# One timer for the next wake-up, started again only when that moment comes earlier.
STEADY_TIMER_PATCH = "journey-steady-timer-v1"
# The family page asks for a fresh link (docs/changing-workflows.md): a new signal; journeys whose
# histories predate it never received one, and replay as before.
FAMILY_LINK_PATCH = "family-link-requested-v1"
# A guardian sets their own quiet hours and language on the family page: a new signal, likewise.
GUARDIAN_PREFERENCES_PATCH = "guardian-preferences-v1"
# Reassignment (a new update that changes the coordinator and its search attribute).
REASSIGN_PATCH = "journey-reassign-v1"
# Alerts close by themselves once settled ('records ready for review' after the stage moved on,
# records alerts once nothing is outstanding): this changes the needs-attention flag.
ALERTS_CLOSE_PATCH = "alerts-close-themselves-v1"
# One calm message instead of a burst (domain/batching.py): runs that have it keep
# state.calm_messages; runs recorded before it replay without.
CALM_MESSAGES_PATCH = "calm-family-messages-v1"
# A family's reply reaches the coordinator (a new signal: journeys recorded before it never
# received one; patched like the family page's signals, so a new history says where it began).
FAMILY_REPLIES_PATCH = "family-replies-v1"
# A record rejected while paused is asked for again, with its reason, on resume.
REJECTIONS_ON_RESUME_PATCH = "rejections-explained-on-resume-v1"

Cmd = TypeVar("Cmd", bound=BaseModel)


@workflow.defn(name=JOURNEY_WORKFLOW)
class JourneyWorkflow:
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        # The input arrives raw and is read here, so a malformed start that bypassed our client
        # fails this run once with a clear reason instead of failing workflow tasks in a loop.
        self._malformed: str | None = None
        try:
            input = workflow.payload_converter().from_payload(raw.payload, JourneyInput)
        except ValidationError as err:
            input, self._malformed = JourneyInput(), describe(err, "case file")
        except Exception:  # noqa: BLE001 - any other decoding problem: not a journey input
            input, self._malformed = JourneyInput(), "invalid case file: not a journey input"
        if input.state is not None:
            self._state = input.state
        elif input.case is not None:
            self._state = rules.start(input.case, workflow.now())
        elif self._malformed is None:
            self._malformed = "invalid case file: journey input needs a case file"
        self._woken = False
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        # What happened to messages that fell due (service/metrics.py lists it). The SDK records
        # workflow metrics only when not replaying, and they add no command to the history.
        self._decisions = workflow.metric_meter().create_counter(
            "waypoint_message_decisions", "messages that fell due: deferred (sent later than planned), merged, skipped")
        self._published: dict[str, Any] = {}
        self._published_status: str | None = None
        self._published_digest: JourneyDigest | None = None
        self._read_model_started = False
        self._timer: asyncio.Task[None] | None = None
        self._timer_at: datetime | None = None

    # -- main loop --------------------------------------------------------------------------

    @workflow.run
    async def run(self, raw: RawValue) -> JourneySummary:
        if self._malformed is not None:
            raise ApplicationError(self._malformed, type="MalformedInput", non_retryable=True)
        state = self._state
        if not state.timekeeping and workflow.patched(TIMEKEEPING_PATCH):
            state.timekeeping = True
        if not state.calm_messages and workflow.patched(CALM_MESSAGES_PATCH):
            state.calm_messages = True
        while not state.closed:
            now = workflow.now()
            rules.run_due_chases(state, now)
            rules.run_due_duties(state, now)
            if state.closed:
                break  # the journey completed itself
            self._start_due_deliveries()
            if workflow.patched(ALERTS_CLOSE_PATCH):
                alerts.close_settled_alerts(state)
            self._publish()
            if self._time_to_continue_as_new():
                await workflow.wait_condition(lambda: not self._in_flight and workflow.all_handlers_finished())
                if not state.closed:
                    state.runs += 1
                    rules.compact(state, workflow.now())
                    self._publish()
                    workflow.continue_as_new(JourneyInput(state=state))
                continue
            wake = derived.next_wakeup(state)
            self._woken = False
            if workflow.patched(STEADY_TIMER_PATCH):
                self._arm_timer(wake)
                await workflow.wait_condition(lambda: self._woken)
                continue
            timeout = None if wake is None else max(wake - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(lambda: self._woken, timeout=timeout)
            except asyncio.TimeoutError:
                pass
        # Closed: nothing more goes out. In-flight sends are cancelled and waited for.
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._in_flight.values()):
            task.cancel()
        await workflow.wait_condition(lambda: not self._in_flight and workflow.all_handlers_finished())
        self._publish()
        return summarize(state)

    def _time_to_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._state.case.policy.continue_as_new_after_events
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit

    def _wake(self) -> None:
        self._woken = True

    def _arm_timer(self, wake: datetime | None) -> None:
        """Keeps the timer already running unless the next wake-up comes earlier than it. A timer
        that fires before anything is due (the wake-up moved later, or the journey paused) costs
        one task that finds nothing to do and arms the next one; restarting a multi-day timer on
        every signal and update would cost two history events each time."""
        if wake is None:
            return
        if self._timer is not None and not self._timer.done() and self._timer_at is not None and self._timer_at <= wake:
            return
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer_at = wake
        self._timer = asyncio.create_task(self._sleep_until(wake))

    async def _sleep_until(self, wake: datetime) -> None:
        try:
            await workflow.sleep(max(wake - workflow.now(), timedelta(seconds=1)))
        except asyncio.CancelledError:
            return
        self._wake()

    # -- sending ----------------------------------------------------------------------------

    def _start_due_deliveries(self) -> None:
        state = self._state
        if state.paused or state.closed:
            return
        now = workflow.now()
        for message in state.messages:
            if message.status != MessageStatus.SCHEDULED or message.not_before > now:
                continue
            decision = decide(state, message, now)
            if isinstance(decision, Skip):
                message.status, message.outcome = MessageStatus.SKIPPED, decision.reason
                self._count(message, "skipped")
            elif isinstance(decision, Defer):
                message.not_before = decision.until
            else:
                for key in decision.merged:
                    merged = next(m for m in state.messages if m.key == key)
                    merged.status, merged.outcome = MessageStatus.SKIPPED, f"merged into {message.key}"
                    self._count(merged, "merged")
                if message.not_before > message.created_at:
                    self._count(message, "deferred")  # went out later than planned: quiet hours, SMS caps
                if state.calm_messages:
                    message.merged = list(decision.merged)  # said in this one, in order
                message.status = MessageStatus.SENDING
                self._in_flight[message.key] = asyncio.create_task(self._deliver(message))

    def _count(self, message: Message, decision: str) -> None:
        self._decisions.add(1, {"channel": message.channel.value, "event": message.event.value, "decision": decision})

    async def _deliver(self, message: Message) -> None:
        state = self._state
        recipient = find_recipient(state, message.recipient)
        assert recipient is not None
        address = recipient.address(message.channel)
        assert address is not None
        request = DeliveryRequest(
            key=message.key,
            case_reference=state.case.case_reference,
            event=message.event,
            channel=message.channel,
            recipient=message.recipient,
            to_address=address,
            to_name=recipient.name,
            language=recipient.language,
            timezone=recipient.timezone,
            params=message.params,
            record_types=[t for t in message.record_types if state.records[t].outstanding],
        )
        if message.merged:
            said = [MessagePart(event=p.event, params=p.params, record_types=p.record_types)
                    for p in batching.parts(state, message)]
            if len(said) == 1:  # the rest arrived meanwhile: it says one thing after all
                request = request.model_copy(update=said[0].model_dump())
            elif said:
                request = request.model_copy(update={"parts": said})
        try:
            result = await workflow.execute_activity(
                DELIVER_MESSAGE,
                request,
                result_type=DeliveryResult,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(days=2),
                retry_policy=DELIVERY_RETRY,
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                summary=f"{message.event.value} to {message.recipient} by {message.channel.value}",
            )
            message.status, message.sent_at = MessageStatus.SENT, workflow.now()
            batching.asked(state, message, workflow.now())
            message.outcome = result.reference + (" (duplicate suppressed)" if result.duplicate else "")
        except asyncio.CancelledError:
            message.status, message.outcome = MessageStatus.CANCELLED, "journey closed while sending"
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, CancelledError) and state.closed:
                message.status, message.outcome = MessageStatus.CANCELLED, "journey closed before it was sent"
                return
            kind = cause.type if isinstance(cause, ApplicationError) and cause.type else type(cause).__name__
            message.status, message.outcome = MessageStatus.FAILED, kind
            workflow.logger.warning(
                "delivery failed for %s (%s to %s by %s): %s",
                state.case.case_reference,
                message.event.value,
                message.recipient,
                message.channel.value,
                kind,
            )
            if message.event != MessageEvent.COORDINATOR_ALERT and not state.closed:
                rules.delivery_failed(state, message, workflow.now())
        finally:
            self._in_flight.pop(message.key, None)
            self._wake()

    # -- search attributes --------------------------------------------------------------------

    def _publish(self) -> None:
        """Upsert the listing attributes that changed (codes and flags only, never personal data)
        and the read model memo."""
        if workflow.patched(DIGEST_PATCH):
            self._publish_digest()
            return
        state = self._state
        wanted: list[SearchAttributePair[Any]] = [
            SearchAttributePair(sa.CASE_REFERENCE, state.case.case_reference),
            SearchAttributePair(sa.COORDINATOR, state.case.coordinator.id),
            SearchAttributePair(sa.STAGE, state.stage.value),
            SearchAttributePair(sa.PATHWAY, state.pathway.value),
            SearchAttributePair(sa.OVERDUE, derived.overdue(state)),
            SearchAttributePair(sa.PAUSED, state.paused),
            SearchAttributePair(sa.NEEDS_ATTENTION, any(a.open for a in state.alerts)),
        ]
        changed = [p for p in wanted if self._published.get(p.key.name) != p.value]
        if changed:
            workflow.upsert_search_attributes([p.key.value_set(p.value) for p in changed])
            self._published.update({p.key.name: p.value for p in changed})
        if workflow.patched(STATUS_MEMO_PATCH):
            # The status read model, kept in the (encrypted) memo: reads describe the journey
            # instead of querying a worker, so they work while workers are down and never make
            # a worker rebuild a journey (see service/config.py, STICKY_QUEUE_TIMEOUT).
            status = journey_status(state)
            serialized = status.model_dump_json()
            if serialized != self._published_status:
                workflow.upsert_memo({STATUS_MEMO: status})
                self._published_status = serialized

    def _publish_digest(self) -> None:
        state = self._state
        if not self._read_model_started:
            # What the start (or the previous run) already set is not set again.
            self._read_model_started = True
            for pair in workflow.info().typed_search_attributes:
                self._published.setdefault(pair.key.name, pair.value)
            self._published_digest = workflow.memo_value(DIGEST_MEMO, None, type_hint=JourneyDigest)
            if workflow.memo_value(STATUS_MEMO, None) is not None:
                workflow.upsert_memo({STATUS_MEMO: None})  # the full status is read by query now
        overdue = derived.overdue(state)
        current = digest(state, overdue)
        wanted: list[SearchAttributePair[Any]] = [
            SearchAttributePair(sa.CASE_REFERENCE, state.case.case_reference),
            SearchAttributePair(sa.COORDINATOR, state.case.coordinator.id),
            SearchAttributePair(sa.STAGE, state.stage.value),
            SearchAttributePair(sa.PATHWAY, state.pathway.value),
            SearchAttributePair(sa.OVERDUE, overdue),
            SearchAttributePair(sa.PAUSED, state.paused),
            SearchAttributePair(sa.NEEDS_ATTENTION, any(a.open for a in state.alerts)),
            SearchAttributePair(sa.NEEDS_PERSON, sa.needs_person_value(needs_person(current))),
        ]
        updates = [p.key.value_set(p.value) for p in wanted if self._published.get(p.key.name) != p.value]
        self._published.update({p.key.name: p.value for p in wanted})
        deadline = sa.records_deadline_value(records_deadline(current))
        if self._published.get(sa.RECORDS_DEADLINE.name) != deadline:
            updates.append(sa.RECORDS_DEADLINE.value_set(deadline))
            self._published[sa.RECORDS_DEADLINE.name] = deadline
        if state.timekeeping:
            appointment = sa.next_appointment_value(None if current.closed else current.next_appointment_at)
            if self._published.get(sa.NEXT_APPOINTMENT.name, sa.NO_RECORDS_DEADLINE) != appointment:
                updates.append(sa.NEXT_APPOINTMENT.value_set(appointment))
                self._published[sa.NEXT_APPOINTMENT.name] = appointment
        if updates:
            workflow.upsert_search_attributes(updates)
        if current != self._published_digest:
            workflow.upsert_memo({DIGEST_MEMO: current})
            self._published_digest = current

    # -- commands -----------------------------------------------------------------------------

    def _check(self, check: Callable[[JourneyState, Cmd], None], cmd: Cmd) -> None:
        if not isinstance(cmd, BaseModel):
            raise ApplicationError("malformed command payload", type="Refused", non_retryable=True)
        try:
            check(self._state, cmd)
        except rules.Refused as refused:
            raise ApplicationError(str(refused), type="Refused", non_retryable=True) from None

    def _apply(self, apply: Callable[[JourneyState, Cmd, Any], Any], cmd: Cmd) -> JourneySummary:
        logged, noted = len(self._state.timeline), len(self._state.notes)
        try:
            apply(self._state, cmd, workflow.now())
        except rules.Refused as refused:
            raise ApplicationError(str(refused), type="Refused", non_retryable=True) from None
        claimed = getattr(cmd, "claimed_by", None)
        if claimed:  # beside the actor (an API key), the person it named, marked as claimed
            for entry in self._state.timeline[logged:] + self._state.notes[noted:]:
                entry.detail["claimed_by"] = claimed
        self._wake()
        return summarize(self._state)

    def _read_signal(self, raw: RawValue, model: type[Cmd]) -> Cmd | None:
        """Signals arrive raw and are read here: a malformed one (sent past our client) is
        dropped with a warning naming only the signal and the kind of problem, never its
        content (it could hold personal data), and never fails the workflow task."""
        name = SIGNALS[model]
        try:
            value = workflow.payload_converter().from_payload(raw.payload, model)
        except Exception as err:  # noqa: BLE001 - any decoding problem means "not this model"
            workflow.logger.warning("ignored malformed %s signal (%s)", name, type(err).__name__)
            return None
        if not isinstance(value, model):
            workflow.logger.warning("ignored malformed %s signal (payload type %s)", name, type(value).__name__)
            return None
        return value

    @workflow.signal(name=SIGNALS[RecordReceived])
    def record_received(self, raw: RawValue) -> None:
        event = self._read_signal(raw, RecordReceived)
        if event is not None:
            rules.apply_record_received(self._state, event, workflow.now())
            self._wake()

    @workflow.signal(name=SIGNALS[ChannelReply])
    def channel_reply(self, raw: RawValue) -> None:
        reply = self._read_signal(raw, ChannelReply)
        if reply is not None:
            rules.apply_channel_reply(self._state, reply, workflow.now())
            self._wake()

    @workflow.signal(name=SIGNALS[LinkRequested])
    def family_link_requested(self, raw: RawValue) -> None:
        request = self._read_signal(raw, LinkRequested)
        if request is not None and workflow.patched(FAMILY_LINK_PATCH):
            rules.apply_link_requested(self._state, request, workflow.now())
            self._wake()

    @workflow.signal(name=SIGNALS[GuardianPreferences])
    def guardian_preferences(self, raw: RawValue) -> None:
        prefs = self._read_signal(raw, GuardianPreferences)
        if prefs is not None and workflow.patched(GUARDIAN_PREFERENCES_PATCH):
            rules.apply_guardian_preferences(self._state, prefs, workflow.now())
            self._wake()

    @workflow.signal(name=SIGNALS[DeliveryReport])
    def delivery_report(self, raw: RawValue) -> None:
        report = self._read_signal(raw, DeliveryReport)
        if report is not None:
            rules.apply_delivery_report(self._state, report, workflow.now())
            self._wake()

    @workflow.signal(name=SIGNALS[FamilyReply])
    def family_reply(self, raw: RawValue) -> None:
        reply = self._read_signal(raw, FamilyReply)
        if reply is not None and workflow.patched(FAMILY_REPLIES_PATCH):
            replies.apply_family_reply(self._state, reply, workflow.now())
            self._wake()

    @workflow.update(name=UPDATES[MarkReplyHandled])
    def mark_reply_handled(self, cmd: MarkReplyHandled) -> JourneySummary:
        return self._apply(replies.apply_reply_handled, cmd)

    @mark_reply_handled.validator
    def _validate_reply_handled(self, cmd: MarkReplyHandled) -> None:
        self._check(replies.check_reply_handled, cmd)

    @workflow.update(name=UPDATES[ReviewRecord])
    def review_record(self, cmd: ReviewRecord) -> JourneySummary:
        return self._apply(rules.apply_review_record, cmd)

    @review_record.validator
    def _validate_review_record(self, cmd: ReviewRecord) -> None:
        self._check(rules.check_review_record, cmd)

    @workflow.update(name=UPDATES[ApplyMilestone])
    def apply_milestone(self, cmd: ApplyMilestone) -> JourneySummary:
        return self._apply(rules.apply_milestone, cmd)

    @apply_milestone.validator
    def _validate_milestone(self, cmd: ApplyMilestone) -> None:
        self._check(rules.check_milestone, cmd)

    @workflow.update(name=UPDATES[AdvanceStage])
    def advance_stage(self, cmd: AdvanceStage) -> JourneySummary:
        return self._apply(rules.apply_advance, cmd)

    @advance_stage.validator
    def _validate_advance(self, cmd: AdvanceStage) -> None:
        self._check(rules.check_advance, cmd)

    @workflow.update(name=UPDATES[PauseJourney])
    def pause(self, cmd: PauseJourney) -> JourneySummary:
        return self._apply(rules.apply_pause, cmd)

    @pause.validator
    def _validate_pause(self, cmd: PauseJourney) -> None:
        self._check(rules.check_pause, cmd)

    @workflow.update(name=UPDATES[ResumeJourney])
    def resume(self, cmd: ResumeJourney) -> JourneySummary:
        paused_since = self._state.pause.since if self._state.pause else None
        summary = self._apply(rules.apply_resume, cmd)
        if paused_since is not None and workflow.patched(REJECTIONS_ON_RESUME_PATCH):
            rejections.ask_again_for_rejections_while_paused(self._state, paused_since, workflow.now())
        return summary

    @resume.validator
    def _validate_resume(self, cmd: ResumeJourney) -> None:
        self._check(rules.check_resume, cmd)

    @workflow.update(name=UPDATES[CloseJourney])
    def close(self, cmd: CloseJourney) -> JourneySummary:
        result = self._apply(rules.apply_close, cmd)
        for task in list(self._in_flight.values()):
            task.cancel()
        return result

    @close.validator
    def _validate_close(self, cmd: CloseJourney) -> None:
        self._check(rules.check_close, cmd)

    @workflow.update(name=UPDATES[SetConsent])
    def set_consent(self, cmd: SetConsent) -> JourneySummary:
        return self._apply(rules.apply_consent, cmd)

    @set_consent.validator
    def _validate_consent(self, cmd: SetConsent) -> None:
        self._check(rules.check_consent, cmd)

    @workflow.update(name=UPDATES[ScheduleAppointment])
    def schedule_appointment(self, cmd: ScheduleAppointment) -> JourneySummary:
        return self._apply(rules.apply_schedule, cmd)

    @schedule_appointment.validator
    def _validate_schedule(self, cmd: ScheduleAppointment) -> None:
        self._check(lambda state, c: rules.check_schedule(state, c, workflow.now()), cmd)

    @workflow.update(name=UPDATES[RescheduleAppointment])
    def reschedule_appointment(self, cmd: RescheduleAppointment) -> JourneySummary:
        return self._apply(rules.apply_reschedule, cmd)

    @reschedule_appointment.validator
    def _validate_reschedule(self, cmd: RescheduleAppointment) -> None:
        self._check(lambda state, c: rules.check_reschedule(state, c, workflow.now()), cmd)

    @workflow.update(name=UPDATES[CancelAppointment])
    def cancel_appointment(self, cmd: CancelAppointment) -> JourneySummary:
        return self._apply(rules.apply_cancel, cmd)

    @cancel_appointment.validator
    def _validate_cancel(self, cmd: CancelAppointment) -> None:
        self._check(rules.check_cancel, cmd)

    @workflow.update(name=UPDATES[RecordAppointmentOutcome])
    def record_appointment_outcome(self, cmd: RecordAppointmentOutcome) -> JourneySummary:
        return self._apply(rules.apply_outcome, cmd)

    @record_appointment_outcome.validator
    def _validate_outcome(self, cmd: RecordAppointmentOutcome) -> None:
        self._check(lambda state, c: rules.check_outcome(state, c, workflow.now()), cmd)

    @workflow.update(name=UPDATES[RecordDonorTyping])
    def record_donor_typing(self, cmd: RecordDonorTyping) -> JourneySummary:
        return self._apply(rules.apply_typing, cmd)

    @record_donor_typing.validator
    def _validate_typing(self, cmd: RecordDonorTyping) -> None:
        self._check(rules.check_typing, cmd)

    @workflow.update(name=UPDATES[UpdateHandoverItem])
    def update_handover_item(self, cmd: UpdateHandoverItem) -> JourneySummary:
        return self._apply(rules.apply_handover, cmd)

    @update_handover_item.validator
    def _validate_handover(self, cmd: UpdateHandoverItem) -> None:
        self._check(rules.check_handover, cmd)

    @workflow.update(name=UPDATES[ExtendFollowUp])
    def extend_follow_up(self, cmd: ExtendFollowUp) -> JourneySummary:
        return self._apply(rules.apply_extend, cmd)

    @extend_follow_up.validator
    def _validate_extend(self, cmd: ExtendFollowUp) -> None:
        self._check(rules.check_extend, cmd)

    @workflow.update(name=UPDATES[ReassignJourney])
    def reassign(self, cmd: ReassignJourney) -> JourneySummary:
        workflow.patched(REASSIGN_PATCH)  # histories that may hold a reassignment say so
        return self._apply(rules.apply_reassign, cmd)

    @reassign.validator
    def _validate_reassign(self, cmd: ReassignJourney) -> None:
        self._check(rules.check_reassign, cmd)

    @workflow.update(name=UPDATES[SetChannelOptOut])
    def set_channel_opt_out(self, cmd: SetChannelOptOut) -> JourneySummary:
        return self._apply(rules.apply_opt_out, cmd)

    @set_channel_opt_out.validator
    def _validate_opt_out(self, cmd: SetChannelOptOut) -> None:
        self._check(rules.check_opt_out, cmd)

    # -- queries ------------------------------------------------------------------------------

    @workflow.query(name=Query.STATUS.value)
    def status(self) -> JourneyStatus:
        return journey_status(self._state)

    @workflow.query(name=Query.TIMELINE.value)
    def timeline(self) -> list[TimelineEntry]:
        return list(self._state.timeline)

    @workflow.query(name=Query.MESSAGES.value)
    def messages(self) -> list[Message]:
        return list(self._state.messages)

    @workflow.query(name=Query.GUARDIAN.value)
    def guardian(self, recipient: str) -> GuardianView | None:
        return guardian_view(self._state, recipient)

    @workflow.query(name=Query.SUMMARY.value)
    def summary(self) -> JourneySummary:
        return summarize(self._state)

