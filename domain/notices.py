"""Who hears what, on which channel, and when: the messaging rules as pure functions.

A ``Notice`` is planned into one ``Message`` per recipient and channel, each with an
idempotency key built from the business event (case reference + event + sequence + recipient +
channel) and a ``not_before`` that respects the recipient's quiet hours. The same rules are
checked again at send time (``why_not_send``), because consent, opt-outs and records can change
while a message waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Union

from domain.batching import ANSWERS, batched, companions, held_until
from domain.case_file import COORDINATOR_ID, LOCAL_TEAM_ID, Channel, guardian_id
from domain.policy import QuietHours
from domain.quiet_hours import next_allowed_time
from domain.records import Holder
from domain.sms_caps import next_sms_allowed
from domain.state import (
    Audience,
    JourneyState,
    Message,
    MessageEvent,
    MessageStatus,
    Notice,
)


@dataclass(frozen=True)
class Recipient:
    id: str
    audience: Audience
    language: str
    timezone: str
    quiet_hours: QuietHours | None
    channels: tuple[Channel, ...]
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def address(self, channel: Channel) -> str | None:
        return self.email if channel == Channel.EMAIL else self.phone


def recipients(state: JourneyState, audience: Audience) -> list[Recipient]:
    """Everyone in an audience, as the case file currently describes them."""
    case = state.case
    if audience == Audience.FAMILY:
        return [
            Recipient(
                id=guardian_id(i),
                audience=audience,
                language=g.language,
                timezone=g.timezone,
                quiet_hours=g.quiet_hours,
                channels=tuple(g.channels),
                name=g.name,
                email=g.email,
                phone=g.phone,
            )
            for i, g in enumerate(case.guardians)
        ]
    if audience == Audience.LOCAL_TEAM:
        team = case.local_team
        if team is None:
            return []
        return [
            Recipient(
                id=LOCAL_TEAM_ID,
                audience=audience,
                language=team.language,
                timezone=team.timezone,
                quiet_hours=team.quiet_hours,
                channels=(Channel.EMAIL,),
                name=team.name,
                email=team.email,
            )
        ]
    coordinator = case.coordinator
    if coordinator.email is None:
        return []
    return [
        Recipient(
            id=COORDINATOR_ID,
            audience=audience,
            language=coordinator.language,
            timezone=coordinator.timezone,
            quiet_hours=QuietHours(),
            channels=(Channel.EMAIL,),
            email=coordinator.email,
        )
    ]


def find_recipient(state: JourneyState, recipient_id: str) -> Recipient | None:
    for audience in Audience:
        for r in recipients(state, audience):
            if r.id == recipient_id:
                return r
    return None


def asked_of(state: JourneyState, holder: Holder) -> tuple[Audience, bool]:
    """Where a records request goes: (audience, via_family).

    Records held by the local team are asked of the team only with the family's consent;
    otherwise the family is asked to obtain them from their doctors.
    """
    if holder == Holder.LOCAL_TEAM and state.case.local_team and state.local_team_consent:
        return Audience.LOCAL_TEAM, False
    return Audience.FAMILY, holder == Holder.LOCAL_TEAM




def earliest_send(recipient: Recipient, now: datetime, urgent: bool, bypass: bool, event: MessageEvent | None = None) -> datetime:
    if recipient.quiet_hours is None or (urgent and bypass and recipient.audience == Audience.COORDINATOR):
        return now
    if event == MessageEvent.OPT_OUT_CONFIRMATION:
        return now  # the direct answer to a reply the person just sent
    return next_allowed_time(now, recipient.timezone, recipient.quiet_hours)


def plan(state: JourneyState, notice: Notice, now: datetime) -> list[Message]:
    """Turn a notice into messages; consumes one notice sequence number."""
    state.notice_seq += 1
    base = f"{state.case.case_reference}:{notice.event.value}:{state.notice_seq}"
    planned: list[Message] = []
    for r in recipients(state, notice.audience):
        if notice.only_recipient is not None and r.id != notice.only_recipient:
            continue
        channels = (notice.only_channel,) if notice.only_channel is not None else r.channels
        for channel in channels:
            message = Message(
                key=f"{base}:{r.id}:{channel.value}",
                event=notice.event,
                recipient=r.id,
                channel=channel,
                created_at=now,
                not_before=earliest_send(
                    r, now, notice.urgent, state.case.policy.urgent_alerts_bypass_quiet_hours, notice.event
                ),
                params=notice.params,
                record_types=list(notice.record_types),
                urgent=notice.urgent,
            )
            if why_not_send(state, message) is None:
                planned.append(message)
    return planned


def why_not_send(state: JourneyState, message: Message) -> str | None:
    """The reason a message must not go out now, or None. Checked when planning and sending."""
    if state.closed:
        return "journey closed"
    recipient = find_recipient(state, message.recipient)
    if recipient is None:
        return "recipient no longer on the case"
    if recipient.audience == Audience.LOCAL_TEAM and not state.local_team_consent:
        return "no consent to inform the local team"
    if message.channel in state.opted_out.get(message.recipient, []):
        if message.event != MessageEvent.OPT_OUT_CONFIRMATION:
            return f"recipient opted out of {message.channel.value}"
    if recipient.address(message.channel) is None:
        return f"recipient has no {message.channel.value} address"
    if message.record_types:
        still = [t for t in message.record_types if t in state.records and state.records[t].outstanding]
        if not still:
            return "records already received"
    return None


# ---------------------------------------------------------------------------------------------
# At send time


@dataclass(frozen=True)
class Send:
    merged: tuple[str, ...] = ()  # keys of waiting SMS folded into this one


@dataclass(frozen=True)
class Defer:
    until: datetime


@dataclass(frozen=True)
class Skip:
    reason: str


Decision = Union[Send, Defer, Skip]


def decide(state: JourneyState, message: Message, now: datetime) -> Decision:
    """What to do with a message whose time has come: send it, wait longer, or drop it (why)."""
    reason = why_not_send(state, message)
    if reason is not None:
        return Skip(reason)
    recipient = find_recipient(state, message.recipient)
    assert recipient is not None
    policy = state.case.policy
    allowed = earliest_send(recipient, now, message.urgent, policy.urgent_alerts_bypass_quiet_hours, message.event)
    if allowed > now:  # e.g. resumed into quiet hours: defer again, never drop
        return Defer(allowed)
    batch = batched(state, message, recipient.audience)
    if batch and held_until(state, message) > now:  # others of a burst may still join it
        return Defer(earliest_send(recipient, held_until(state, message), False, False, message.event))
    together = tuple(m.key for m in companions(state, message, now) if why_not_send(state, m) is None) if batch else ()
    if message.channel == Channel.SMS and recipient.audience == Audience.FAMILY and message.event not in ANSWERS:
        sms = [
            m for m in state.messages
            if m.recipient == message.recipient and m.channel == Channel.SMS
            and m.event not in ANSWERS
            and m.status in (MessageStatus.SENT, MessageStatus.SENDING)
        ]
        capped_until = next_sms_allowed([m.sent_at or m.not_before for m in sms], now, policy.sms_caps)
        if capped_until > now:
            if _twin_by_email(state, message) is not None:
                return Skip("over the SMS cap: sent by e-mail instead")
            return Defer(earliest_send(recipient, capped_until, False, False))
        if batch:
            return Send(merged=together)
        waiting = [
            m.key for m in state.messages
            if m is not message and m.recipient == message.recipient and m.channel == Channel.SMS
            and m.status == MessageStatus.SCHEDULED and m.not_before <= now
            and m.event not in ANSWERS
        ]
        return Send(merged=tuple(waiting))
    return Send(merged=together)


def _twin_by_email(state: JourneyState, message: Message) -> Message | None:
    key = f"{message.notice_key}:{message.recipient}:{Channel.EMAIL.value}"
    for m in state.messages:
        if m.key == key and m.status not in (MessageStatus.FAILED, MessageStatus.SKIPPED, MessageStatus.CANCELLED):
            return m
    return None


def fall_back(state: JourneyState, failed: Message, now: datetime) -> Message | None:
    """Send the same notice on the recipient's other channel after a permanent failure."""
    recipient = find_recipient(state, failed.recipient)
    if recipient is None or recipient.audience == Audience.COORDINATOR:
        return None
    for channel in Channel:
        if channel == failed.channel:
            continue
        key = f"{failed.notice_key}:{failed.recipient}:{channel.value}"
        existing = next((m for m in state.messages if m.key == key), None)
        if existing is not None and existing.status in (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.SCHEDULED):
            continue  # already going out on that channel
        candidate = existing or Message(
            key=key,
            event=failed.event,
            recipient=failed.recipient,
            channel=channel,
            created_at=now,
            not_before=now,
            params=failed.params,
            record_types=list(failed.record_types),
            urgent=failed.urgent,
        )
        candidate.status = MessageStatus.SCHEDULED
        candidate.not_before = earliest_send(recipient, now, failed.urgent, False, failed.event)
        candidate.outcome = f"fallback after {failed.channel.value} failed"
        if why_not_send(state, candidate) is not None:
            continue
        if existing is None:
            state.messages.append(candidate)
        return candidate
    return None
