"""A journey must stay replayable when it is read while its worker dies and a new one starts.

The race (docs/investigations/replay-divergence-after-worker-kill/): a worker holding the
journey is SIGKILLed while a reminder timer is pending; a new worker starts; a query reaches
the journey before the timer fires, waits on the dead worker's sticky queue, and is then sent
to the new worker as a direct query whose history already holds the fired timer. The SDK
(temporalio 1.35) runs the journey's code for those events at the previous task's time, keeps
the resulting commands and sends them with the next real task: no reminder goes out, and every
later replay of the history fails (the journey is stuck). The service reads status from the
journey's memo and gives each query attempt less time than the sticky queue, so no read can
open that window.

The worker runs as its own process (worker.py, the production entry point) so it can be killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.case_file import CaseFile
from domain.state import MessageEvent, MessageStatus
from service.client import data_converter
from service.journeys import JourneyError, Journeys
from tests.conftest import ROOT, case_data
from workflows.journey import JourneyWorkflow
from workflows.sandbox import journey_runner


FIRST_REMINDER_S = 6


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def _read_while(journeys: Journeys, ref: str, seconds: float) -> int:
    """Reads like the dashboard and the API do (status from the memo, messages by query);
    returns how many reads were answered."""
    answered = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for read in (journeys.status, journeys.messages):
            try:
                await asyncio.wait_for(read(ref), 15)
                answered += 1
            except (JourneyError, TimeoutError, RuntimeError):
                pass
        await asyncio.sleep(0.2)
    return answered


async def test_journey_read_during_worker_restart_still_replays(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    target = dev_env.client.service_client.config.target_host
    task_queue = f"tq-restart-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": target,
        "WAYPOINT_TASK_QUEUE": task_queue,
        "WAYPOINT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "WAYPOINT_LOG_LEVEL": "WARNING",
    }
    journeys = Journeys(dev_env.client, task_queue)
    data = case_data()
    ref = data["case_reference"]
    data["policy"] = {"chase": {"first_reminder_after": f"PT{FIRST_REMINDER_S}S", "reminder_interval": "PT30S",
                                "escalate_after_reminders": 3},
                      "batching": {"window": "PT0S"}}  # family messages not held for a burst
    first = _worker(env)
    second: subprocess.Popen[bytes] | None = None
    try:
        await journeys.start(CaseFile.intake(data))
        # The first task ran and the record requests went out: the reminder timer is pending.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sent = await journeys.messages(ref)
            if sent and all(m.status == MessageStatus.SENT for m in sent):
                break
            await asyncio.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = _worker(env)
        # Reads start before the reminder timer fires and go on until the new worker has it.
        answered = await _read_while(journeys, ref, 26)
        assert answered > 0

        history = await journeys.handle(ref).fetch_history()
        result = await Replayer(workflows=[JourneyWorkflow], data_converter=data_converter(), workflow_runner=journey_runner()).replay_workflow(
            history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"history no longer replays: {result.replay_failure}"
        # And the reminders that fell due while the worker was down did go out.
        messages = await journeys.messages(ref)
        reminders = [m for m in messages if m.event == MessageEvent.RECORD_REMINDER]
        assert any(m.status == MessageStatus.SENT for m in reminders), [(m.event, m.status) for m in messages]
        assert not [m for m in reminders if m.status in (MessageStatus.SCHEDULED, MessageStatus.SENDING)]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        try:
            await journeys.handle(ref).terminate(reason="test finished")
        except Exception:  # noqa: BLE001 - already gone
            pass
