"""Counting what really reached the providers: every message key the journeys say they sent,
against what the local Twilio and Resend servers accepted (e-mails by idempotency key; SMS by
Twilio SID, mapped to its key through the ledger). Used by the chaos run and the cluster proof."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from messaging.ledger import DeliveryState, Ledger
from tests.support.fake_providers import FakeResend, FakeTwilio


@dataclass
class DeliveryCount:
    expected: set[str]  # keys the journeys record as sent
    accepted: Counter[str] = field(default_factory=Counter)  # key -> times a provider accepted it
    unknown_sms: int = 0  # SMS the ledger cannot name: sent without a record
    ledger_states: Counter[str] = field(default_factory=Counter)  # the expected keys' ledger states

    @property
    def delivered(self) -> set[str]:
        return set(self.accepted) & self.expected

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.accepted.values()) + self.unknown_sms

    @property
    def lost(self) -> set[str]:
        return self.expected - set(self.accepted)

    @property
    def unexpected(self) -> set[str]:
        """Accepted by a provider although no journey records it as sent."""
        return set(self.accepted) - self.expected

    @property
    def exactly_once(self) -> bool:
        return (not self.lost and not self.unexpected and self.duplicated == 0
                and self.ledger_states == Counter({DeliveryState.SENT.value: len(self.expected)}))


def count_deliveries(twilio: FakeTwilio, resend: FakeResend, ledger: Ledger, expected: set[str]) -> DeliveryCount:
    count = DeliveryCount(expected=set(expected))
    count.accepted.update(m["idempotency_key"] for m in resend.messages)
    for sid in (m["sid"] for m in twilio.messages):
        entry = ledger.by_provider_id(sid)
        if entry is None:
            count.unknown_sms += 1
        else:
            count.accepted[entry.key] += 1
    for key in expected:
        entry = ledger.get(key)
        count.ledger_states[entry.state.value if entry else "missing"] += 1
    return count
