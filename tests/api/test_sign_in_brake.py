"""The sign-in brake shared by every API process, kept beside the dashboard sessions.

Two brakes over one SQLite file stand for two API processes behind a load balancer: they share
the count and the lockout, a lockout survives a new brake (a restart), and failures recorded at
the same moment from both are all counted. The rules themselves are pure, over a clock passed in.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from api.dashboard.brake import ACCOUNT, BrakeRule, KeyState, SignInBrake, after_failure, seconds_to_wait
from api.dashboard.brake_store import BrakeStore, sign_in_brake
from messaging.ledger import make_engine
from tests.support.brake_race import NOW, fail_at_once, start_at_once

SECRET = "a session secret shared by every API process"


def _brake(path: Path, account: BrakeRule = ACCOUNT, address: BrakeRule | None = None) -> SignInBrake:
    store = BrakeStore(make_engine(f"sqlite:///{path}"), SECRET)
    return SignInBrake(store, account, address or BrakeRule(limit=20))


# --- the rules, pure ---------------------------------------------------------------------------


def test_the_fifth_failure_in_a_minute_locks_and_each_lockout_doubles_up_to_the_most():
    rule = BrakeRule(limit=5, first_delay=30, max_delay=100)
    state, delays = KeyState(), []
    for n in range(4):
        state, delay = after_failure(rule, state, NOW + n)
        assert delay == 0
    state, delay = after_failure(rule, state, NOW + 4)
    assert delay == 30 and seconds_to_wait(state, NOW + 4) == 31 and seconds_to_wait(state, NOW + 35) == 0
    now = NOW + 40
    for _ in range(3):
        for n in range(5):
            state, delay = after_failure(rule, state, now + n)
        delays.append(delay)
        now += 200
    assert delays == [60, 100, 100]


def test_failures_outside_the_window_do_not_count_and_an_idle_key_starts_afresh():
    rule = BrakeRule(limit=3, window=60, first_delay=30, forget_after=3600)
    state = KeyState()
    for t in (0, 61, 122):  # never three within a minute
        state, delay = after_failure(rule, state, NOW + t)
        assert delay == 0
    for t in (200, 201, 202):
        state, delay = after_failure(rule, state, NOW + t)
    assert delay == 30 and state.lockouts == 1
    for t in (5000, 5001, 5002):  # more than an hour without a failure: the first delay again
        state, delay = after_failure(rule, state, NOW + t)
    assert delay == 30 and state.lockouts == 1


# --- shared by every API process ---------------------------------------------------------------


def test_two_api_processes_share_the_count_and_the_lockout(tmp_path: Path):
    one, two = _brake(tmp_path / "sessions.sqlite"), _brake(tmp_path / "sessions.sqlite")
    for n in range(3):
        assert one.failed("coord-lin", "10.0.0.7", NOW + n) == {}
    assert two.failed("coord-lin", "10.0.0.8", NOW + 3) == {}
    assert two.failed("coord-lin", "10.0.0.8", NOW + 4) == {"account": 30}  # the fifth, wherever it came
    assert one.retry_after("coord-lin", "10.0.0.9", NOW + 5) == 30
    assert two.retry_after("coord-lin", "10.0.0.9", NOW + 5) == 30
    assert one.retry_after("coord-bo", "10.0.0.9", NOW + 5) == 0  # another account is not held up


def test_a_lockout_and_its_doubling_survive_a_restart(tmp_path: Path):
    before = _brake(tmp_path / "sessions.sqlite")
    for n in range(5):
        before.failed("coord-lin", "10.0.0.7", NOW + n)
    del before
    after = _brake(tmp_path / "sessions.sqlite")
    assert after.retry_after("coord-lin", "10.0.0.7", NOW + 10) == 25
    later = NOW + 100
    locked = [after.failed("coord-lin", "10.0.0.7", later + n) for n in range(5)]
    assert locked[-1] == {"account": 60}  # the second lockout, counted across the restart


def test_the_address_limit_is_shared_and_a_success_forgives_only_the_account(tmp_path: Path):
    one, two = _brake(tmp_path / "s.sqlite"), _brake(tmp_path / "s.sqlite")
    for n in range(19):
        (one if n % 2 else two).failed(f"coord-x{n:02d}", "10.0.0.7", NOW + n)
    two.failed("coord-lin", "10.0.0.7", NOW + 19)
    assert one.retry_after("coord-bo", "10.0.0.7", NOW + 20) > 0
    assert two.retry_after("coord-bo", "10.0.0.8", NOW + 20) == 0
    for n in range(4):
        one.failed("coord-bo", "10.0.0.8", NOW + 30 + n)
    two.succeeded("coord-bo")
    assert one.failed("coord-bo", "10.0.0.8", NOW + 40) == {}  # its count started again
    assert one.retry_after("coord-bo", "10.0.0.7", NOW + 40) > 0  # the address is still locked


def test_failures_from_two_processes_at_the_same_moment_all_count(tmp_path: Path):
    roomy = BrakeRule(limit=10_000, window=3600)
    brakes = [_brake(tmp_path / "s.sqlite", roomy, roomy) for _ in range(2)]
    assert fail_at_once(brakes, threads=4, each=40) == [160, 160]  # the account's and the address's, none lost


def test_keys_idle_past_forget_after_are_forgotten(tmp_path: Path):
    rule = BrakeRule(limit=5, forget_after=3600)
    brake = _brake(tmp_path / "s.sqlite", rule, BrakeRule(limit=20, forget_after=3600))
    for n in range(50):
        brake.failed(f"coord-x{n:02d}", f"10.0.{n}.1", NOW + n)
    brake.failed("coord-lin", "10.0.0.7", NOW + 3700)
    with brake.store.engine.connect() as conn:
        assert len(conn.execute(select(sign_in_brake)).all()) == 2  # only the last failure's keys


def test_no_account_id_address_or_typed_secret_is_stored_as_typed(tmp_path: Path):
    brake = _brake(tmp_path / "s.sqlite")
    typed = "my-password-in-the-wrong-box"  # typed into the account field by mistake
    brake.failed(typed, "192.0.2.44", NOW)
    brake.failed("coord-lin", "192.0.2.44", NOW + 1)
    with brake.store.engine.connect() as conn:
        rows = repr(conn.execute(select(sign_in_brake)).all())
    assert typed not in rows and "192.0.2.44" not in rows and "coord-lin" not in rows
    assert "sqlite" in repr(brake.store) and SECRET not in repr(brake.store)


def test_api_processes_starting_together_on_a_fresh_store_all_start(tmp_path: Path):
    """Replicas started at once each create the missing tables; the ones that lose the race start too."""
    failed = [error for trial in range(5) for error in start_at_once(f"sqlite:///{tmp_path / f'fresh-{trial}.sqlite'}")]
    assert failed == []
