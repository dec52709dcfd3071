"""What the webhook tests share: a ledger, a journey whose guardian can reply by SMS, its history."""

from __future__ import annotations

from pathlib import Path

from domain.state import MessageStatus
from messaging.ledger import Ledger
from tests.conftest import Harness, make_case
from tests.support.polling import eventually

PHONE = "+77012345678"  # guardian-1 in examples/case-car-t-question.json


def ledger_in(folder: Path) -> Ledger:
    return Ledger(f"sqlite:///{folder / 'ledger.sqlite'}", contact_hash_key="test-hash-key-0123456789abcdef")


async def journey_with_sms_contact(harness: Harness, ledger: Ledger) -> str:
    """A started journey that has sent its first messages, its guardian-1 reachable by SMS reply."""
    case = make_case()
    await harness.journeys.start(case)
    await eventually(lambda: _has_sent(harness, case.case_reference))
    ledger.remember_contact(PHONE, case.case_reference, "guardian-1", "sms")
    return case.case_reference


async def _has_sent(harness: Harness, ref: str) -> bool:
    return any(m.status == MessageStatus.SENT for m in await harness.journeys.messages(ref))


async def history_length(harness: Harness, ref: str) -> int:
    return len([e async for e in harness.journeys.handle(ref).fetch_history_events()])


async def sent_by_provider(harness: Harness, ledger: Ledger, ref: str, channel: str, provider: str, provider_id: str):  # noqa: ANN201
    """The journey's first message on a channel, recorded in the ledger as sent by a provider."""
    message = next(m for m in await harness.journeys.messages(ref) if m.channel.value == channel)
    ledger.begin(message.key, ref, message.recipient, channel, provider)
    ledger.sent(message.key, provider_id)
    return message
