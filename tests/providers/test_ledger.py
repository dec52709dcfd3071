"""The delivery ledger on a real SQLite file: states, concurrency across threads and processes,
and contacts stored only as keyed hashes."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from messaging.ledger import DeliveryState, Ledger, contacts, deliveries

HASH_KEY = "test-contact-hash-key-0123456789"
KEY = "WJ-2026-0042:record_request:1:guardian-1:sms"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite'}"


@pytest.fixture
def ledger(db_url: str) -> Ledger:
    led = Ledger(db_url, contact_hash_key=HASH_KEY)
    yield led
    led.close()


def _begin(led: Ledger, key: str = KEY):
    return led.begin(key, "WJ-2026-0042", "guardian-1", "sms", "twilio")


def test_creates_the_file_and_tables(tmp_path: Path, db_url: str) -> None:
    led = Ledger(db_url, contact_hash_key=HASH_KEY)
    assert (tmp_path / "var" / "ledger.sqlite").exists()
    assert led.counts() == {"reserved": 0, "attempting": 0, "sent": 0, "uncertain": 0, "contacts": 0}
    led.close()
    # Opening again (another worker) finds the tables and keeps the rows.
    again = Ledger(db_url, contact_hash_key=HASH_KEY)
    _begin(again)
    again.close()
    assert Ledger(db_url, contact_hash_key=HASH_KEY).get(KEY) is not None


def test_begin_inserts_once_and_returns_the_current_row(ledger: Ledger) -> None:
    first = _begin(ledger)
    assert first.state == DeliveryState.RESERVED
    assert (first.case_reference, first.recipient, first.channel, first.provider) == ("WJ-2026-0042", "guardian-1", "sms", "twilio")
    assert first.attempts == 0 and first.provider_id is None
    assert first.updated_at.tzinfo is not None
    assert ledger.attempting(KEY)
    again = _begin(ledger)
    assert again.state == DeliveryState.ATTEMPTING and again.attempts == 1


def test_state_transitions(ledger: Ledger) -> None:
    entry = _begin(ledger)
    assert ledger.attempting(KEY, expected_attempts=entry.attempts)
    assert not ledger.attempting(KEY, expected_attempts=entry.attempts), "a stale claim must fail"
    assert ledger.released(KEY, expected_attempts=1)
    assert ledger.get(KEY).state == DeliveryState.RESERVED
    assert not ledger.released(KEY), "only an attempting row can be released"
    assert ledger.attempting(KEY, expected_attempts=1)
    assert ledger.sent(KEY, "SM123")
    entry = ledger.get(KEY)
    assert entry.state == DeliveryState.SENT and entry.provider_id == "SM123" and entry.attempts == 2
    # A sent row never moves back.
    assert not ledger.attempting(KEY)
    assert not ledger.uncertain(KEY)
    assert not ledger.released(KEY)
    assert ledger.get(KEY).state == DeliveryState.SENT
    assert ledger.by_provider_id("SM123").key == KEY
    assert ledger.by_provider_id("SM-unknown") is None


def test_uncertain_and_counts(ledger: Ledger) -> None:
    _begin(ledger, "WJ-2026-0042:a:1:guardian-1:sms")
    _begin(ledger, "WJ-2026-0042:a:2:guardian-1:sms")
    _begin(ledger, "WJ-2026-0042:a:3:guardian-1:sms")
    ledger.attempting("WJ-2026-0042:a:2:guardian-1:sms")
    ledger.attempting("WJ-2026-0042:a:3:guardian-1:sms")
    ledger.uncertain("WJ-2026-0042:a:3:guardian-1:sms")
    ledger.remember_contact("+447700900123", "WJ-2026-0042", "guardian-1", "sms")
    assert ledger.counts() == {"reserved": 1, "attempting": 1, "sent": 0, "uncertain": 1, "contacts": 1}


def test_two_threads_beginning_the_same_key_make_one_row(db_url: str) -> None:
    # Two ledgers on one file stand for two worker processes; several threads each.
    ledgers = [Ledger(db_url, contact_hash_key=HASH_KEY) for _ in range(2)]
    n = 8
    barrier = threading.Barrier(n)

    def go(i: int):
        barrier.wait()
        return _begin(ledgers[i % 2])

    with ThreadPoolExecutor(n) as pool:
        entries = list(pool.map(go, range(n)))
    assert {e.key for e in entries} == {KEY}
    with ledgers[0].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 1

    # Claiming is a compare-and-set: of many concurrent claims on the same read, one wins.
    barrier = threading.Barrier(n)

    def claim(i: int) -> bool:
        barrier.wait()
        return ledgers[i % 2].attempting(KEY, provider="twilio", expected_attempts=0)

    with ThreadPoolExecutor(n) as pool:
        won = list(pool.map(claim, range(n)))
    assert won.count(True) == 1
    assert ledgers[1].get(KEY).attempts == 1
    for led in ledgers:
        led.close()


def _process_claims(url: str, keys: list[str]) -> list[bool]:
    led = Ledger(url, contact_hash_key=HASH_KEY)
    results = []
    for key in keys:
        entry = led.begin(key, "WJ-2026-0042", "guardian-1", "email", "resend")
        results.append(led.attempting(key, expected_attempts=0) if entry.attempts == 0 else False)
    led.close()
    return results


def test_worker_processes_share_the_ledger_safely(db_url: str) -> None:
    Ledger(db_url, contact_hash_key=HASH_KEY).close()  # create the file first
    keys = [f"WJ-2026-0042:record_request:{i}:guardian-1:email" for i in range(25)]
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_process_claims, [db_url] * 3, [keys] * 3))
    # Every key was claimed by exactly one process.
    for i in range(len(keys)):
        assert sum(r[i] for r in results) == 1
    led = Ledger(db_url, contact_hash_key=HASH_KEY)
    assert led.counts()["attempting"] == len(keys)
    led.close()


def test_contacts_store_only_keyed_hashes(tmp_path: Path, db_url: str) -> None:
    phone, email = "+447700900123", "Amina.Example@Mail.example.org"
    led = Ledger(db_url, contact_hash_key=HASH_KEY)
    led.remember_contact(phone, "WJ-2026-0042", "guardian-1", "sms")
    led.remember_contact(phone, "WJ-2026-0042", "guardian-1", "sms")  # refreshes, no second row
    led.remember_contact(phone, "WJ-2026-0077", "guardian-2", "sms")  # a shared phone
    led.remember_contact(email, "WJ-2026-0042", "guardian-1", "email")
    assert led.counts()["contacts"] == 3
    # Inbound replies are matched however the address is written.
    assert sorted(led.contacts_for("+44 7700 900123")) == [("WJ-2026-0042", "guardian-1", "sms"), ("WJ-2026-0077", "guardian-2", "sms")]
    assert led.contacts_for(" amina.example@mail.EXAMPLE.org ") == [("WJ-2026-0042", "guardian-1", "email")]
    assert led.contacts_for("+15005550006") == []
    with led.engine.connect() as conn:
        hashes = conn.execute(select(contacts.c.address_hash)).scalars().all()
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in hashes)
    led.close()

    # A different secret cannot find the contact (the hash is keyed, not a plain SHA-256).
    other = Ledger(db_url, contact_hash_key="another-secret-key-abcdefghij")
    assert other.contacts_for(phone) == []
    other.close()

    raw = b"".join(p.read_bytes() for p in (tmp_path / "var").iterdir() if p.is_file())
    for needle in (phone, phone[1:], "7700900123", email, email.lower(), "Amina"):
        assert needle.encode() not in raw, f"{needle!r} stored in the database file"


def test_repr_hides_secrets(tmp_path: Path) -> None:
    led = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}", contact_hash_key=HASH_KEY)
    assert HASH_KEY not in repr(led)
    led.close()


def test_in_memory_ledger_for_quick_tests() -> None:
    led = Ledger("sqlite://", contact_hash_key=HASH_KEY)
    _begin(led)
    assert led.counts()["reserved"] == 1
    with pytest.raises(ValueError):
        Ledger("sqlite://", contact_hash_key="")


def test_pending_since_marks_the_first_unresolved_attempt(ledger: Ledger) -> None:
    assert _begin(ledger).pending_since is None
    ledger.attempting(KEY)
    first = ledger.get(KEY).pending_since
    assert first is not None
    ledger.attempting(KEY)  # a retry while the first outcome is still unknown
    entry = ledger.get(KEY)
    assert entry.pending_since == first and entry.updated_at >= first and entry.attempts == 2
    ledger.released(KEY)
    assert ledger.get(KEY).pending_since is None
    ledger.attempting(KEY)
    ledger.sent(KEY, "re_1")
    assert ledger.get(KEY).pending_since is None
