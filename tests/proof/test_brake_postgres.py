"""The sign-in brake on PostgreSQL (where the cluster keeps shared state): two API processes'
brakes over one database share the count and the lockout, failures recorded at the same moment
from both all count (the row lock), a lockout survives a new brake, and processes starting
together on a fresh database all start. PostgreSQL is the cluster's own (scripts/cluster.py),
started afresh on free ports and stopped at the end.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.dashboard.brake import BrakeRule, SignInBrake
from api.dashboard.brake_store import BrakeStore
from messaging.ledger import make_engine
from scripts.cluster import Cluster, Ports
from tests.support.brake_race import NOW, fail_at_once, start_at_once

pytestmark = pytest.mark.cluster

DATA = Path(__file__).resolve().parents[2] / "var" / "brake-postgres"
SECRET = "a session secret shared by every API process"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster(DATA, Ports.free(), workers=0, quiet=True)
    if (cluster.pg_data / "PG_VERSION").exists():
        cluster.stop_postgres()  # left running by an interrupted run
    shutil.rmtree(cluster.pg_home, ignore_errors=True)
    shutil.rmtree(DATA, ignore_errors=True)
    cluster = Cluster(DATA, cluster.ports, workers=0, quiet=True)
    cluster.start_postgres()
    try:
        cluster.create_databases()
        yield cluster
    finally:
        cluster.stop_postgres()
        shutil.rmtree(cluster.pg_home, ignore_errors=True)
        shutil.rmtree(DATA, ignore_errors=True)


@pytest.fixture(scope="module")
def database(cluster: Cluster) -> str:
    return cluster.ledger_url


def _brake(url: str, rule: BrakeRule | None = None) -> SignInBrake:
    engine = make_engine(url)
    return SignInBrake(BrakeStore(engine, SECRET), *((rule, rule) if rule else ()))


def test_two_processes_share_the_lockout_and_a_restart_keeps_it(database: str):
    one, two = _brake(database), _brake(database)
    one.succeeded("coord-bo")
    for n in range(5):
        locked = (one if n % 2 else two).failed("coord-bo", "10.0.0.9", NOW + 10_000 + n)
    assert locked == {"account": 30}
    assert one.retry_after("coord-bo", "10.0.0.1", NOW + 10_005) == 30
    assert _brake(database).retry_after("coord-bo", "10.0.0.1", NOW + 10_005) == 30  # after a restart


def test_failures_at_the_same_moment_from_two_processes_all_count(database: str):
    roomy = BrakeRule(limit=10_000, window=3600)
    brakes = [_brake(database, roomy) for _ in range(2)]
    with brakes[0].store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("DELETE FROM sign_in_brake")
    assert fail_at_once(brakes, threads=4, each=40) == [160, 160]


def test_api_processes_starting_together_on_a_fresh_database_all_start(cluster: Cluster):
    failed = []
    for trial in range(3):
        name = f"fresh_start_{trial}"
        with make_engine(cluster.ledger_url).execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        failed += start_at_once(cluster.ledger_url.rsplit("/", 1)[0] + f"/{name}")
    assert failed == []
