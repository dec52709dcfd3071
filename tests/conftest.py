"""Test environments: a real Temporal dev server (the CLI) for most tests, and the official Java
time-skipping test server where months must pass in seconds. Both are started once per session
with the production data converter; each test gets its own task queue and outbox."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.case_file import CaseFile
from workflows import search_attributes as sa
from service.client import data_converter
from service.codec import new_key_entry
from service.config import FamilySettings, Settings
from service.journeys import Journeys, Started
from worker import build_worker

ROOT = Path(__file__).resolve().parent.parent

# CI explores the same generated inputs on every run (a red build is then reproducible);
# local runs explore new ones each time.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def _tool(script: str, env_var: str) -> str:
    if os.environ.get(env_var):
        return os.environ[env_var]
    out = subprocess.run(["bash", str(ROOT / "scripts" / script)], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_tool("ensure-temporal.sh", "WAYPOINT_TEMPORAL_BIN"),
        data_converter=data_converter(),
        search_attributes=sa.ALL,
        dev_server_log_level="error",
        dev_server_startup_timeout=timedelta(seconds=120),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_tool("ensure-test-server.sh", "WAYPOINT_TEST_SERVER_BIN"),
        data_converter=data_converter(),
        test_server_startup_timeout=timedelta(seconds=120),
    )
    kinds = {"KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
             "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: kinds[k.indexed_value_type.name] for k in sa.ALL},
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


DOCUMENT_KEYS = f"{new_key_entry('docs-b')},{new_key_entry('docs-a')}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    family = FamilySettings(database_url=f"sqlite:///{tmp_path / 'family.sqlite'}",
                            document_store=f"folder:{tmp_path / 'documents'}", document_keys=DOCUMENT_KEYS)
    return Settings(task_queue=f"tq-{uuid.uuid4()}", outbox_dir=tmp_path / "outbox", family=family)


class TrackingJourneys(Journeys):
    """Remembers what a test started, so it can be cleaned up afterwards."""

    def __init__(self, client: Client, task_queue: str) -> None:
        super().__init__(client, task_queue)
        self.started: list[str] = []

    async def start(self, case: CaseFile) -> Started:
        started = await super().start(case)
        self.started.append(started.case_reference)
        return started

    async def terminate_all(self) -> None:
        for ref in self.started:
            try:
                await self.handle(ref).terminate(reason="test finished")
            except RPCError:
                pass  # already closed


class Harness:
    """A running worker plus the client-side facade, for one test."""

    def __init__(self, env: WorkflowEnvironment, settings: Settings) -> None:
        self.env = env
        self.client: Client = env.client
        self.settings = settings
        self.journeys = TrackingJourneys(env.client, settings.task_queue)
        self.worker: Worker | None = None

    def outbox_files(self, case_reference: str) -> list[Path]:
        folder = self.settings.outbox_dir / case_reference
        return sorted(folder.glob("*.txt")) if folder.exists() else []


@pytest_asyncio.fixture
async def dev(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Harness]:
    harness = Harness(dev_env, settings)
    harness.worker = build_worker(dev_env.client, settings)
    async with harness.worker:
        yield harness
        await harness.journeys.terminate_all()


@pytest_asyncio.fixture
async def skipping(time_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Harness]:
    harness = Harness(time_env, settings)
    harness.worker = build_worker(time_env.client, settings)
    async with harness.worker:
        yield harness
        # A journey left running without its worker would hold the test server's clock.
        await harness.journeys.terminate_all()


NO_QUIET_HOURS = {"start": "00:00", "end": "00:00"}


def case_data(reference: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A realistic case file (JSON form) with a fresh reference. Quiet hours are off unless a
    test sets them, so a test's outcome never depends on the time of day it runs at; family
    messages are not held to gather a burst (batching window PT0S) unless a test sets one, so a
    test sees each message as soon as it is due."""
    data = json.loads((ROOT / "examples" / "case-car-t-question.json").read_text())
    data["case_reference"] = reference or f"WJ-2026-{uuid.uuid4().int % 900000 + 100000}"
    for person in [*data["guardians"], data["local_team"]]:
        person.setdefault("quiet_hours", NO_QUIET_HOURS)
    data.update(overrides)
    data.setdefault("policy", {}).setdefault("batching", {"window": "PT0S"})
    return data


def make_case(reference: str | None = None, **overrides: Any) -> CaseFile:
    return CaseFile.intake(case_data(reference, **overrides))


@pytest.fixture
def new_case() -> Iterator[Any]:
    yield make_case


HISTORIES = ROOT / "tests" / "histories"


async def record_history(harness: Harness, case_reference: str, name: str) -> None:
    """With WAYPOINT_RECORD_HISTORIES=1, keep this run's history for the replay test."""
    if os.environ.get("WAYPOINT_RECORD_HISTORIES") != "1":
        return
    history = await harness.journeys.handle(case_reference).fetch_history()
    HISTORIES.mkdir(parents=True, exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers follow the servers a test really uses, so `make unit` runs every pure test and
    none that needs a server: `temporal` for the dev server, `timeskipping` for the Java one."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "dev_env" in names:
            item.add_marker(pytest.mark.temporal)
        if "time_env" in names:
            item.add_marker(pytest.mark.timeskipping)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Figures some tests collect, printed with the run's summary (e.g. hostile inputs tried)."""
    import sys

    hostile = sys.modules.get("tests.workflows.test_hostile_input")
    tried = getattr(hostile, "TRIED", None)
    if tried:
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(tried.items()))
        terminalreporter.write_line(f"hostile input tried: {sum(tried.values())} ({detail})")
