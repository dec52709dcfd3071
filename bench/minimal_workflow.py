"""The same-work minimal workflow the journey is measured against: the same data converter and
payload models, 8 records reported by signal and accepted by update (with a validator), 3 sends
when it starts and 3 when every record is accepted, and then it waits, open, as a journey does.
No rules, no memo, no search attribute changes after start: the engine's own cost for this work."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.commands import RecordDecision, RecordReceived, ReviewRecord

MINIMAL_WORKFLOW = "bench-minimal"
MINIMAL_SEND = "bench-minimal-send"
RECIPIENTS = ("guardian-1:email", "guardian-1:sms", "guardian-2:email")


class MinimalInput(BaseModel):
    case_reference: str
    records: list[str]


class MinimalSend(BaseModel):
    case_reference: str
    event: str
    recipient: str


class MinimalSummary(BaseModel):
    case_reference: str
    accepted: int


@workflow.defn(name=MINIMAL_WORKFLOW)
class MinimalWorkflow:
    @workflow.init
    def __init__(self, input: MinimalInput) -> None:
        self._ref = input.case_reference
        self._records = {r: "requested" for r in input.records}
        self._done = False

    @workflow.run
    async def run(self, input: MinimalInput) -> MinimalSummary:
        await self._send_all("record_request")
        await workflow.wait_condition(lambda: all(s == "accepted" for s in self._records.values()))
        await self._send_all("stage_change")
        await workflow.wait_condition(lambda: self._done)
        return MinimalSummary(case_reference=self._ref, accepted=len(self._records))

    async def _send_all(self, event: str) -> None:
        await asyncio.gather(*(
            workflow.execute_activity(MINIMAL_SEND, MinimalSend(case_reference=self._ref, event=event, recipient=r),
                                      start_to_close_timeout=timedelta(seconds=60))
            for r in RECIPIENTS
        ))

    @workflow.signal(name="record-received")
    def record_received(self, event: RecordReceived) -> None:
        if self._records.get(event.record_type.value) == "requested":
            self._records[event.record_type.value] = "received"

    @workflow.update(name="review-record")
    def review_record(self, cmd: ReviewRecord) -> MinimalSummary:
        self._records[cmd.record_type.value] = "accepted"
        return MinimalSummary(case_reference=self._ref, accepted=sum(s == "accepted" for s in self._records.values()))

    @review_record.validator
    def _validate(self, cmd: ReviewRecord) -> None:
        if cmd.decision != RecordDecision.ACCEPT or self._records.get(cmd.record_type.value) != "received":
            raise ApplicationError("not received", type="Refused", non_retryable=True)

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self._done = True


def minimal_send_activity(outbox: str):  # noqa: ANN201 - an activity function bound to a folder
    """The send: writes one small file (its time is when the 'message' was written)."""
    import os  # noqa: PLC0415

    @activity.defn(name=MINIMAL_SEND)
    async def send(request: MinimalSend) -> str:
        folder = os.path.join(outbox, request.case_reference)
        os.makedirs(folder, exist_ok=True)
        name = os.path.join(folder, f"{request.event}-{request.recipient.replace(':', '-')}.txt")
        with open(name, "w") as out:
            out.write(request.event)
        return name

    return send
