"""What a family writes to us reaches a person.

A reply that is not STOP/START (``FamilyReply``) is kept for the coordinator, who sees it in
Today and on the journey's page until a person marks it handled. The guardian gets one short
acknowledgement in their language on the channel they wrote on ("your coordinator will
answer"), planned like every family message (quiet hours, opt-outs, nothing after a close); a
second reply while the first is still open is not acknowledged again. The text lives only in the
journey's state (encrypted with the payloads), never in logs, the timeline or search attributes.
"""

from __future__ import annotations

from datetime import datetime

from domain.commands import FamilyReply, MarkReplyHandled
from domain.rules.effects import Refused, log, note, notify
from domain.state import Audience, JourneyState, MessageEvent, Notice, Reply


def apply_family_reply(state: JourneyState, reply: FamilyReply, now: datetime) -> Reply:
    """A fact: never refused. Kept even after a close (a person should still read it)."""
    waiting = [r for r in state.replies if r.open and r.recipient == reply.recipient and r.channel == reply.channel]
    kept = Reply(
        id=f"{state.case.case_reference}:reply:{len(state.replies) + 1}",
        at=now,
        recipient=reply.recipient,
        channel=reply.channel,
        text=reply.text,
    )
    state.replies.append(kept)
    log(state, now, "family_replied", recipient=reply.recipient, channel=reply.channel.value, reply=kept.id)
    if not waiting:  # one acknowledgement until a person has dealt with what they wrote
        notify(
            state,
            Notice(
                event=MessageEvent.REPLY_ACKNOWLEDGEMENT,
                audience=Audience.FAMILY,
                only_recipient=reply.recipient,
                only_channel=reply.channel,
            ),
            now,
        )
    return kept


def check_reply_handled(state: JourneyState, cmd: MarkReplyHandled) -> None:
    reply = next((r for r in state.replies if r.id == cmd.reply_id), None)
    if reply is None:
        raise Refused(f"this journey has no reply {cmd.reply_id}")
    if not reply.open:
        raise Refused(f"reply {cmd.reply_id} was already marked handled")


def apply_reply_handled(state: JourneyState, cmd: MarkReplyHandled, now: datetime) -> None:
    check_reply_handled(state, cmd)
    reply = next(r for r in state.replies if r.id == cmd.reply_id)
    reply.handled_at, reply.handled_by = now, cmd.by
    log(state, now, "reply_handled", by=cmd.by, reply=reply.id)
    note(state, now, "reply_handled", cmd.note, cmd.by)


def open_replies(state: JourneyState) -> list[Reply]:
    return [r for r in state.replies if r.open]
