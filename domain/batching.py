"""One calm message instead of a burst (pure rules; the journey turns them on with
``state.calm_messages``).

- A family message waits ``policy.batching.window`` after it was planned, so what a coordinator
  records in the next minutes joins it; then every family message to that recipient on that
  channel due within the window, and everything that waited through quiet hours, goes out as ONE
  message under the earliest one's key (the others are marked merged into it). It says
  everything, in the order it happened; a reminder for records the same message asks for is left
  out. Answers to what the person just sent (opt-out confirmation, reply acknowledgement) are
  never held or merged.
- The chase clock of a record starts when it was actually asked for: while its request has not
  gone out, no reminder and no escalation fall due for it (``awaiting_first_ask``), and when the
  request goes out its clock starts then (``asked``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.records import RecordType
from domain.state import Audience, JourneyState, Message, MessageEvent, MessageStatus

# Answers to a message the person has just sent us (never held, never merged).
ANSWERS = frozenset({MessageEvent.OPT_OUT_CONFIRMATION, MessageEvent.REPLY_ACKNOWLEDGEMENT})
_RECORDS_EVENTS = (MessageEvent.RECORD_REQUEST, MessageEvent.RECORD_REMINDER)


def batched(state: JourneyState, message: Message, audience: Audience) -> bool:
    return state.calm_messages and audience == Audience.FAMILY and message.event not in ANSWERS


def held_until(state: JourneyState, message: Message) -> datetime:
    """When a family message has waited long enough for the rest of a burst to join it."""
    return message.created_at + state.case.policy.batching.window


def companions(state: JourneyState, message: Message, now: datetime) -> list[Message]:
    """The other family messages to this recipient on this channel that go out with ``message``:
    scheduled and due within the window from now (quiet hours already passed for them)."""
    horizon = now + state.case.policy.batching.window
    return [
        m for m in state.messages
        if m is not message and m.status == MessageStatus.SCHEDULED and m.recipient == message.recipient
        and m.channel == message.channel and m.event not in ANSWERS and m.not_before <= horizon
    ]


@dataclass
class Part:
    """What one of the merged messages says."""

    event: MessageEvent
    params: dict[str, Any] = field(default_factory=dict)
    record_types: list[RecordType] = field(default_factory=list)


def parts(state: JourneyState, message: Message) -> list[Part]:
    """Everything a merged message says, in the order it happened: records still outstanding
    only, and no reminder for records the same message asks for."""
    merged = [message, *(m for m in state.messages if m.key in message.merged)]
    merged.sort(key=lambda m: (m.created_at, m.key))
    asked: set[RecordType] = set()
    said: list[Part] = []
    for m in merged:
        outstanding = [t for t in m.record_types if t in state.records and state.records[t].outstanding]
        if m.record_types and not outstanding:
            continue  # arrived meanwhile: nothing to ask
        if m.event == MessageEvent.RECORD_REMINDER:
            outstanding = [t for t in outstanding if t not in asked]
            if not outstanding:
                continue  # asked for in this very message
        if m.event in _RECORDS_EVENTS:
            asked.update(outstanding)
        said.append(Part(event=m.event, params=dict(m.params), record_types=outstanding))
    return said


def awaiting_first_ask(state: JourneyState) -> set[RecordType]:
    """Records whose request has not yet gone out to anyone (it waits for quiet hours or a
    burst's window); a record asked of one guardian already is being chased."""
    if not state.calm_messages:
        return set()
    requests = [m for m in state.messages if m.event == MessageEvent.RECORD_REQUEST]
    sent = {m.key for m in requests if m.status == MessageStatus.SENT}
    said_in_sent = {k for m in state.messages if m.status == MessageStatus.SENT for k in m.merged}
    asked_for = {t for m in requests if m.key in sent or m.key in said_in_sent for t in m.record_types}
    waiting = {
        t for m in requests if m.status in (MessageStatus.SCHEDULED, MessageStatus.SENDING) for t in m.record_types
    }
    return waiting - asked_for


def asked(state: JourneyState, message: Message, now: datetime) -> None:
    """A request went out: the chase of its records counts from now."""
    if not state.calm_messages:
        return
    said = [message, *(m for m in state.messages if m.key in message.merged)]
    for m in said:
        if m.event in _RECORDS_EVENTS:
            for t in m.record_types:
                item = state.records.get(t)
                if item is not None and item.last_asked_at < now:
                    item.last_asked_at = now
