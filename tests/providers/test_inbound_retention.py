"""The ledger keeps the provider events the webhooks took for a retention period
(WAYPOINT_INBOUND_EVENTS_KEEP_DAYS), then forgets them: a replay inside the period is still
recognised, older rows are deleted, and the pruning runs at most once an hour per ledger, when an
event is taken. Time here is a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import OperationalError

from messaging.ledger import PRUNE_EVERY, Ledger, inbound_events
from messaging.provider_config import open_ledger
from service.config import DeliverySettings

HASH_KEY = "test-contact-hash-key-0123456789"
KEEP = timedelta(days=30)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def ledger(tmp_path: Path, clock: Clock) -> Ledger:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", contact_hash_key=HASH_KEY, clock=clock, inbound_keep=KEEP)
    yield led
    led.close()


def kept(ledger: Ledger) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(inbound_events.c.event_id)).scalars())


def test_a_replay_inside_the_retention_period_is_recognised(ledger: Ledger, clock: Clock) -> None:
    assert ledger.claim_inbound("twilio-sms", "SM1")
    clock.now = T0 + KEEP - timedelta(minutes=1)
    assert ledger.claim_inbound("twilio-sms", "SM2")  # taken long after the last pruning: prunes
    assert not ledger.claim_inbound("twilio-sms", "SM1"), "a replay inside the period must change nothing"
    assert kept(ledger) == {"SM1", "SM2"}


def test_events_older_than_the_retention_period_are_deleted_when_an_event_is_taken(ledger: Ledger, clock: Clock) -> None:
    assert ledger.claim_inbound("twilio-sms", "SM1")
    clock.now = T0 + timedelta(days=20)
    assert ledger.claim_inbound("resend", "msg_2")
    clock.now = T0 + KEEP + timedelta(hours=2)
    assert ledger.claim_inbound("twilio-status", "SM3:delivered")
    assert kept(ledger) == {"msg_2", "SM3:delivered"}
    assert not ledger.claim_inbound("resend", "msg_2"), "still inside the period"


def test_pruning_runs_at_most_once_an_hour(ledger: Ledger, clock: Clock) -> None:
    assert ledger.claim_inbound("twilio-sms", "SM1")  # the first event taken prunes (nothing to delete)
    with ledger.engine.begin() as conn:  # an event from long ago, as an older process left it
        conn.execute(insert(inbound_events).values(provider="twilio-sms", event_id="SM-old",
                                                   received_at=T0 - KEEP - timedelta(days=1)))
    clock.now = T0 + PRUNE_EVERY - timedelta(seconds=1)
    assert ledger.claim_inbound("twilio-sms", "SM2")
    assert "SM-old" in kept(ledger), "pruned again within the hour"
    clock.now = T0 + PRUNE_EVERY
    assert ledger.claim_inbound("twilio-sms", "SM3")
    assert kept(ledger) == {"SM1", "SM2", "SM3"}


def test_a_repeat_does_not_prune(ledger: Ledger, clock: Clock) -> None:
    assert ledger.claim_inbound("twilio-sms", "SM1")
    clock.now = T0 + KEEP + timedelta(days=1)
    with ledger.engine.begin() as conn:
        conn.execute(insert(inbound_events).values(provider="twilio-sms", event_id="SM2", received_at=clock.now))
    assert not ledger.claim_inbound("twilio-sms", "SM2")
    assert kept(ledger) == {"SM1", "SM2"}  # only an event taken prunes


def test_the_retention_period_comes_from_the_settings(tmp_path: Path) -> None:
    delivery = DeliverySettings.from_env({"WAYPOINT_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
                                          "WAYPOINT_INBOUND_EVENTS_KEEP_DAYS": "45"})
    assert delivery.inbound_events_keep == timedelta(days=45)
    assert DeliverySettings.from_env({}).inbound_events_keep == timedelta(days=30)
    ledger = open_ledger(delivery)
    assert ledger is not None
    assert ledger.inbound_keep == timedelta(days=45)
    ledger.close()


def test_a_pruning_that_fails_never_fails_the_claim(ledger: Ledger, clock: Clock) -> None:
    """The event is taken (its claim committed) before the pruning: a database refusing the DELETE
    must not turn the webhook's answer into an error, or the provider's retry would be lost."""
    refusing = True

    def refuse_delete(_conn, _cursor, statement: str, *_args) -> None:
        if refusing and statement.lstrip().upper().startswith("DELETE FROM INBOUND_EVENTS"):
            raise OperationalError(statement, None, Exception("database is locked"))

    event.listen(ledger.engine, "before_cursor_execute", refuse_delete)
    with ledger.engine.begin() as conn:
        conn.execute(insert(inbound_events).values(provider="twilio-sms", event_id="SM-old",
                                                   received_at=T0 - KEEP - timedelta(days=1)))
    assert ledger.claim_inbound("twilio-sms", "SM1")
    assert kept(ledger) == {"SM-old", "SM1"}
    assert not ledger.claim_inbound("twilio-sms", "SM1")
    refusing = False
    clock.now = T0 + PRUNE_EVERY  # tried again an hour later
    assert ledger.claim_inbound("twilio-sms", "SM2")
    assert kept(ledger) == {"SM1", "SM2"}
