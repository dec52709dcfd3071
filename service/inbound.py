"""Inbound events from providers, routed to the right journey.

An SMS or e-mail reply is matched to journeys through the ledger's contact index (a keyed hash
of the sender's address, never the address itself). STOP/START is signalled as a
``channel-reply``; anything else is a ``family-reply`` carrying the text for the coordinator (the
signal payload is encrypted like every payload; the text is never logged). A status callback is matched to our message by the provider's id and
signalled as a ``delivery-report``. The HTTP webhooks that call these come with the HTTP API.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.case_file import Channel
from domain.commands import ChannelReply, DeliveryReport, DeliveryStatus, FamilyReply
from domain.opt_out import keyword
from messaging.ledger import Ledger
from workflows.journey_types import journey_id, signal_name

log = logging.getLogger(__name__)

# Provider statuses worth telling a journey about (Twilio's words, Resend's event names).
STATUS_WORDS: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "bounced": DeliveryStatus.BOUNCED,
    "email.delivered": DeliveryStatus.DELIVERED,
    "email.bounced": DeliveryStatus.BOUNCED,
    "email.complained": DeliveryStatus.FAILED,
}


class JourneysUnreachable(Exception):
    """Temporal did not take the signal (unreachable, overloaded): the provider should retry."""


@dataclass
class InboundResult:
    understood: bool
    signalled: list[str] = field(default_factory=list)  # case references told
    detail: str = ""


async def _signal(client: Client, case_reference: str, fact: BaseModel) -> bool:
    name = signal_name(fact)
    try:
        await client.get_workflow_handle(journey_id(case_reference)).signal(name, fact)
        return True
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False  # journey closed or gone: nothing to tell
        raise JourneysUnreachable(f"signal {name}: Temporal answered {err.status.name if err.status else '?'}") from None
    except RuntimeError as err:  # the client could not (re)connect to the frontend
        raise JourneysUnreachable(f"signal {name}: {type(err).__name__}") from None


MAX_REPLY_CHARS = 2000
CUT_MARK = " [...]"


def reply_text(body: str) -> str:
    """What a guardian wrote, without the quoted earlier message an e-mail client appends, cut
    to what a journey keeps (and saying so)."""
    lines = [line for line in body.replace("\r\n", "\n").split("\n") if not line.lstrip().startswith(">")]
    text = "\n".join(lines).strip()
    if len(text) > MAX_REPLY_CHARS:
        text = text[: MAX_REPLY_CHARS - len(CUT_MARK)].rstrip() + CUT_MARK
    return text


async def handle_inbound_sms(client: Client, ledger: Ledger, from_number: str, body: str) -> InboundResult:
    return await _handle_reply(client, ledger, Channel.SMS, from_number, body)


async def handle_inbound_email(client: Client, ledger: Ledger, from_address: str, body: str) -> InboundResult:
    return await _handle_reply(client, ledger, Channel.EMAIL, from_address.strip().lower(), body)


async def _handle_reply(client: Client, ledger: Ledger, channel: Channel, address: str, body: str) -> InboundResult:
    """STOP/START changes the channel; anything else reaches the coordinator as it was written."""
    word = keyword(body)
    text = reply_text(body)
    if word is None and not text:
        return InboundResult(False, detail="an empty reply")
    contacts = await asyncio.to_thread(ledger.contacts_for, address)
    result = InboundResult(True, detail=f"keyword {word.value}" if word else "a reply for the coordinator")
    for case_reference, recipient, used in contacts:
        if used != channel.value or not recipient.startswith("guardian-"):
            continue
        fact: BaseModel = (
            ChannelReply(recipient=recipient, channel=channel, keyword=word)
            if word is not None
            else FamilyReply(recipient=recipient, channel=channel, text=text)
        )
        if await _signal(client, case_reference, fact):
            result.signalled.append(case_reference)
    log.info(
        "inbound %s %s routed to %d journey(s)",
        channel.value, f"keyword {word.value}" if word else "reply", len(result.signalled),
    )
    return result


async def handle_delivery_status(
    client: Client, ledger: Ledger, provider_id: str, status: str, provider_code: str | None = None
) -> InboundResult:
    mapped = STATUS_WORDS.get(status.strip().lower())
    if mapped is None:
        return InboundResult(False, detail=f"status '{status[:20]}' is not one a journey tracks")
    entry = await asyncio.to_thread(ledger.by_provider_id, provider_id)
    if entry is None:
        return InboundResult(False, detail="no message with that provider id")
    report = DeliveryReport(key=entry.key, status=mapped, provider_code=provider_code)
    result = InboundResult(True, detail=mapped.value)
    if await _signal(client, entry.case_reference, report):
        result.signalled.append(entry.case_reference)
    return result
