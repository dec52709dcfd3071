"""Races between API processes over one store: failures recorded at the same moment from several
brakes, and processes starting together on a fresh store."""

from __future__ import annotations

import threading

from sqlalchemy import select

from api.dashboard.brake import SignInBrake
from api.dashboard.brake_store import BrakeStore, sign_in_brake
from api.dashboard.session_store import SessionStore
from messaging.ledger import make_engine

NOW = 1_900_000_000.0


def fail_at_once(brakes: list[SignInBrake], threads: int = 4, each: int = 40) -> list[int]:
    """``threads`` threads (taking the brakes in turn) each record ``each`` failures for one
    account from one address, all released together; the failures each key then holds."""
    start = threading.Barrier(threads)

    def fail(brake: SignInBrake, offset: int) -> None:
        start.wait()
        for n in range(each):
            brake.failed("coord-lin", "10.0.0.7", NOW + offset + n / 1000)

    running = [threading.Thread(target=fail, args=(brakes[i % len(brakes)], i)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    with brakes[0].store.engine.connect() as conn:  # type: ignore[attr-defined]
        return sorted(len(row.failures) for row in conn.execute(select(sign_in_brake)))


def start_at_once(url: str, starters: int = 6) -> list[str]:
    """``starters`` threads open the session store or the brake store over ``url`` together (as
    API processes starting at once); what stopped any of them."""
    start, failed = threading.Barrier(starters), []

    def open_store(n: int) -> None:
        start.wait()
        try:
            SessionStore(url) if n % 2 else BrakeStore(make_engine(url), "a session secret")
        except Exception as error:  # noqa: BLE001 - the test reports whatever stopped a start
            failed.append(f"{type(error).__name__}: {error}".splitlines()[0])

    running = [threading.Thread(target=open_store, args=(n,)) for n in range(starters)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return failed
