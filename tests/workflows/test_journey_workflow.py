"""The journey workflow on a real Temporal dev server: pathways, refusals, queries, search,
close, continue-as-new."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError

from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CloseJourney,
    RecordDonorTyping,
    UpdateHandoverItem,
    PauseJourney,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
)
from domain.handover import HandoverItemType
from domain.records import RecordStatus, RecordType
from domain.stages import Milestone, Pathway, Stage
from domain.state import MessageStatus
from workflows.journey_types import UPDATES, journey_id
from service.journeys import CommandRefused, JourneyClosed, JourneyNotFound
from tests.support.polling import eventually
from tests.conftest import Harness, make_case, record_history



async def settle_records(h: Harness, ref: str) -> None:
    status = await h.journeys.status(ref)
    for line in status.records:
        if line.status == RecordStatus.REQUESTED:
            await h.journeys.report_record_received(ref, RecordReceived(record_type=line.record_type, document_id="doc-1"))
    await eventually(lambda: _all_received(h, ref))
    for line in (await h.journeys.status(ref)).records:
        if line.status == RecordStatus.RECEIVED:
            await h.journeys.command(ref, ReviewRecord(record_type=line.record_type, decision="accept"))


async def _all_received(h: Harness, ref: str) -> bool:
    return all(r.status != RecordStatus.REQUESTED for r in (await h.journeys.status(ref)).records)


async def milestone(h: Harness, ref: str, name: Milestone, **details):
    return await h.journeys.command(ref, ApplyMilestone(milestone=name, **details))


async def advance(h: Harness, ref: str, stage: Stage):
    return await h.journeys.command(ref, AdvanceStage(to_stage=stage))


async def sent(h: Harness, ref: str) -> list:
    return [m for m in await h.journeys.messages(ref) if m.status == MessageStatus.SENT]


async def test_start_is_idempotent_and_journey_is_listed_by_stage(dev: Harness):
    case = make_case()
    first = await dev.journeys.start(case)
    second = await dev.journeys.start(case)
    assert first.created and not second.created
    assert first.workflow_id == journey_id(case.case_reference)
    runs = [w async for w in dev.client.list_workflows(f"WorkflowId = '{first.workflow_id}'")]
    assert len(runs) == 1

    status = await dev.journeys.status(case.case_reference)
    assert status.stage == Stage.REMOTE_REVIEW and status.pathway == Pathway.SECOND_OPINION
    assert {r.record_type for r in status.records if r.status == RecordStatus.REQUESTED}

    async def listed():
        found = await dev.journeys.find(stage=Stage.REMOTE_REVIEW, coordinator="coord-lin")
        return [j for j in found if j.case_reference == case.case_reference]

    [row] = await eventually(listed)
    assert row.stage == "remote_review" and row.pathway == "second_opinion" and not row.overdue


async def test_first_messages_reach_the_outbox_once(dev: Harness):
    case = make_case()
    await dev.journeys.start(case)
    messages = await eventually(lambda: sent(dev, case.case_reference))
    files = dev.outbox_files(case.case_reference)
    assert len(files) == len(messages)
    text = files[0].read_text()
    assert case.case_reference in text and "Key: " in text


async def test_invalid_transition_is_refused_before_reaching_history(dev: Harness):
    case = make_case()
    await dev.journeys.start(case)
    handle = dev.journeys.handle(case.case_reference)
    await eventually(lambda: sent(dev, case.case_reference))
    before = [e.event_type async for e in handle.fetch_history_events()]

    with pytest.raises(CommandRefused, match="cannot move from remote_review to eligibility"):
        await advance(dev, case.case_reference, Stage.ELIGIBILITY)
    with pytest.raises(CommandRefused, match="needs records_complete first"):
        await milestone(dev, case.case_reference, Milestone.REVIEW_STARTED)
    with pytest.raises(CommandRefused, match="not received"):
        await dev.journeys.command(case.case_reference, ReviewRecord(record_type=RecordType.PATHOLOGY, decision="accept")
        )

    after = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in after
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in after
    assert len(after) - len(before) <= 3  # at most a workflow task (scheduled/started/completed)
    assert (await dev.journeys.status(case.case_reference)).stage == Stage.REMOTE_REVIEW


async def test_malformed_update_sent_past_the_client_is_rejected_cleanly(dev: Harness):
    case = make_case()
    await dev.journeys.start(case)
    handle = dev.journeys.handle(case.case_reference)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(UPDATES[ApplyMilestone], {"milestone": "teleported", "extra": 1})
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(UPDATES[CloseJourney], {"reason": "because"})
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
    assert (await dev.journeys.status(case.case_reference)).closed is False


async def test_unknown_journey_gives_a_clear_error(dev: Harness):
    with pytest.raises(JourneyNotFound, match="no journey with case reference WJ-1999-000001"):
        await dev.journeys.status("WJ-1999-000001")


async def test_second_opinion_pathway_end_to_end(dev: Harness):
    case = make_case()
    ref = case.case_reference
    await dev.journeys.start(case)
    await settle_records(dev, ref)
    status = await dev.journeys.status(ref)
    assert "records_complete" in status.milestones_done
    assert [a.kind.value for a in status.open_alerts] == ["records_ready_for_review"]

    await milestone(dev, ref, Milestone.REVIEW_STARTED)
    await milestone(dev, ref, Milestone.REVIEW_OUTCOME, outcome="remote_advice_only")
    result = await advance(dev, ref, Stage.FOLLOW_UP)
    assert result.stage == Stage.FOLLOW_UP
    await milestone(dev, ref, Milestone.FOLLOW_UP_COMPLETED)
    closed = await dev.journeys.command(ref, CloseJourney(reason="completed"))
    assert closed.closed and closed.close_reason == "completed"

    handle = dev.journeys.handle(ref)
    summary = await handle.result()
    assert summary["stage"] == "closed" and summary["close_reason"] == "completed"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    with pytest.raises(JourneyClosed):
        await dev.journeys.report_record_received(ref, RecordReceived(record_type="imaging", document_id="late-1"))
    timeline = [e.kind for e in await dev.journeys.timeline(ref)]
    assert timeline[0] == "journey_started" and timeline[-1] == "closed"
    await record_history(dev, ref, "second_opinion")


@pytest.mark.parametrize("pathway", ["transplant", "car_t"])
async def test_treatment_pathways_end_to_end(dev: Harness, pathway: str):
    case = make_case()
    ref = case.case_reference
    await dev.journeys.start(case)
    await settle_records(dev, ref)
    await milestone(dev, ref, Milestone.REVIEW_STARTED)
    await milestone(dev, ref, Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway=pathway)
    await settle_records(dev, ref)  # passport, HLA typing or CAR-T work-up were added
    await advance(dev, ref, Stage.ELIGIBILITY)
    await milestone(dev, ref, Milestone.ELIGIBILITY_DECIDED, eligible=True)
    await advance(dev, ref, Stage.VISA_TRAVEL)
    await milestone(dev, ref, Milestone.INVITATION_LETTER_ISSUED)
    await milestone(dev, ref, Milestone.VISA_APPLIED, visa_type="S1", applicant="patient")
    await milestone(dev, ref, Milestone.VISA_GRANTED, visa_type="S1", applicant="patient", expires_on=date(2027, 9, 1))
    await milestone(dev, ref, Milestone.TRAVEL_BOOKED, on_date=date(2027, 1, 10))
    await advance(dev, ref, Stage.PRE_TREATMENT)
    if pathway == "transplant":
        await dev.journeys.command(ref, RecordDonorTyping(relation="father", status="result_received", holder="centre",
                                                          match_grade="5/10 haplo"))
        await milestone(dev, ref, Milestone.HLA_TYPING_DONE)
        await milestone(dev, ref, Milestone.DONOR_SELECTED, donor="father")
    await milestone(dev, ref, Milestone.QUOTE_ISSUED)
    await milestone(dev, ref, Milestone.DEPOSIT_RECEIVED)
    await milestone(dev, ref, Milestone.PRE_TREATMENT_EVALUATION_DONE)
    await advance(dev, ref, Stage.TREATMENT_STAY)
    await milestone(dev, ref, Milestone.ADMITTED, on_date=date(2027, 1, 12))
    await milestone(dev, ref, Milestone.DAY_ZERO, on_date=date(2027, 1, 30))
    if pathway == "transplant":
        await milestone(dev, ref, Milestone.ENGRAFTED)
    with pytest.raises(CommandRefused, match="needs milestone discharged"):
        await advance(dev, ref, Stage.MONITORING)
    await milestone(dev, ref, Milestone.DISCHARGED, on_date=date(2027, 3, 15))
    await advance(dev, ref, Stage.MONITORING)
    await milestone(dev, ref, Milestone.MONITORING_CHECK, day=30)
    await milestone(dev, ref, Milestone.CLEARED_FOR_TRAVEL)
    await advance(dev, ref, Stage.RETURN_HOME)
    await milestone(dev, ref, Milestone.RETURN_FLIGHT_BOOKED, on_date=date(2027, 5, 1))
    with pytest.raises(CommandRefused, match="recorded by itself"):
        await milestone(dev, ref, Milestone.HANDOVER_SENT)
    for item in HandoverItemType:  # no consent to inform the local team: the package is waived
        await dev.journeys.command(ref, UpdateHandoverItem(item=item, action="waived"))
    await milestone(dev, ref, Milestone.RETURNED_HOME)
    await advance(dev, ref, Stage.FOLLOW_UP)
    status = await dev.journeys.status(ref)
    assert status.stage == Stage.FOLLOW_UP and status.pathway == Pathway(pathway)
    assert status.projected_return is not None
    await dev.journeys.command(ref, CloseJourney(reason="completed"))
    await dev.journeys.handle(ref).result()
    assert (await dev.journeys.handle(ref).describe()).status == WorkflowExecutionStatus.COMPLETED
    assert not [m for m in await dev.journeys.messages(ref) if m.status == MessageStatus.FAILED]
    await record_history(dev, ref, pathway)


async def test_close_silences_deferred_messages(dev: Harness):
    # The guardian's quiet hours run from an hour ago to two hours from now in their own zone
    # (whatever the time of day the test runs at): their messages wait.
    local = datetime.now(ZoneInfo("Asia/Almaty"))
    quiet = {"start": (local - timedelta(hours=1)).strftime("%H:%M"), "end": (local + timedelta(hours=2)).strftime("%H:%M")}
    case = make_case(guardians=[
        {"name": "A", "timezone": "Asia/Almaty", "email": "a@example.org", "language": "ru", "quiet_hours": quiet},
    ])
    ref = case.case_reference
    await dev.journeys.start(case)
    status = await dev.journeys.status(ref)
    assert status.scheduled_messages, "quiet hours should have deferred the first request"
    await dev.journeys.command(ref, CloseJourney(reason="family_declined"))
    await dev.journeys.handle(ref).result()
    messages = await dev.journeys.messages(ref)
    assert {m.status for m in messages} == {MessageStatus.CANCELLED}
    assert dev.outbox_files(ref) == []
    with pytest.raises(JourneyClosed):
        await dev.journeys.command(ref, PauseJourney(reason="other"))


async def test_pause_and_resume_over_updates(dev: Harness):
    case = make_case()
    ref = case.case_reference
    await dev.journeys.start(case)
    paused = await dev.journeys.command(ref, PauseJourney(reason="family_needs_time"))
    assert paused.paused
    with pytest.raises(CommandRefused, match="journey is paused"):
        await dev.journeys.command(ref, PauseJourney(reason="other"))
    assert (await dev.journeys.status(ref)).next_wakeup is None
    resumed = await dev.journeys.command(ref, ResumeJourney())
    assert not resumed.paused
    with pytest.raises(CommandRefused, match="not paused"):
        await dev.journeys.command(ref, ResumeJourney())


async def test_continue_as_new_keeps_the_whole_state(dev: Harness):
    case = make_case(policy={"continue_as_new_after_events": 50})
    ref = case.case_reference
    await dev.journeys.start(case)
    # Enough signals to pass the threshold more than once.
    for i in range(40):
        await dev.journeys.report_record_received(ref, RecordReceived(record_type=RecordType.IMAGING, document_id=f"img-{i}"))
    await dev.journeys.command(ref, ReviewRecord(record_type=RecordType.IMAGING, decision="accept"))
    for i in range(30):
        await dev.journeys.report_record_received(ref, RecordReceived(record_type=RecordType.PATHOLOGY, document_id=f"p-{i}"))

    async def continued():
        s = await dev.journeys.status(ref)
        return s if s.runs >= 2 else None

    status = await eventually(continued, timeout=20)
    records = {r.record_type: r for r in status.records}
    assert records[RecordType.IMAGING].status == RecordStatus.ACCEPTED
    assert records[RecordType.PATHOLOGY].status == RecordStatus.RECEIVED
    timeline = await dev.journeys.timeline(ref)
    received = [e for e in timeline if e.kind == "record_received"]
    assert len(received) == 70  # not one signal lost around continue-as-new
    assert timeline[0].kind == "journey_started"
    # Messages are never re-sent by a new run: one outbox file per message key.
    msgs = await dev.journeys.messages(ref)
    assert len({m.key for m in msgs}) == len(msgs)
    await dev.journeys.command(ref, CloseJourney(reason="other"))
    await dev.journeys.handle(ref).result()
    await record_history(dev, ref, "continued_as_new")


async def test_malformed_start_past_the_client_fails_the_run_cleanly(dev: Harness):
    """A start that skips our client (e.g. the Temporal CLI) with a broken case file must not
    leave a workflow task failing in a loop: the run fails once, with a clear reason."""
    from temporalio.client import WorkflowFailureError

    handle = await dev.client.start_workflow(
        "journey",
        {"case": {"case_reference": "WJ-2026-000999", "guardians": "nobody"}},
        id=f"journey-malformed-{dev.settings.task_queue}",
        task_queue=dev.settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert "case file" in str(failure.value.cause)
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
