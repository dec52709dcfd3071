"""The recovery procedure, tried on the minimal workflow: make a run stuck, then reset it.

    WAYPOINT_TEMPORAL_BIN=$(bash scripts/ensure-temporal.sh) .venv/bin/python \
        docs/investigations/replay-divergence-after-worker-kill/minimal/reset_stuck.py

1. Poison: the race from repro.py (queries with no time limit while worker A is dead).
2. Stuck: kill worker B (which had the run cached), start worker C, signal the workflow: every
   workflow task on C fails with a nondeterminism error.
3. `service/replay_check.py` finds the first task that does not replay; reset with the CLI to
   its WorkflowTaskCompleted: that task runs again on a fresh worker, the signal sent after it
   is re-applied and the new run finishes.
"""
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from temporalio.worker import Replayer

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[3])]
from clock_worker import ClockWorkflow  # noqa: E402
from repro import dev_server  # noqa: E402
from service.replay_check import ReplayCheck  # noqa: E402

TEMPORAL = os.environ["WAYPOINT_TEMPORAL_BIN"]


async def replays(history) -> bool:
    result = await Replayer(workflows=[ClockWorkflow]).replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure is None


async def main() -> None:
    server, client, address = await dev_server()
    task_queue = "clock-" + uuid.uuid4().hex[:6]

    def worker() -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(HERE / "clock_worker.py"), address, task_queue, "8", "1000"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.readline()
        return proc

    workflow_id = "clock-" + uuid.uuid4().hex[:8]
    a = worker()
    handle = await client.start_workflow(ClockWorkflow.run, args=[4.0, True], id=workflow_id, task_queue=task_queue)
    await asyncio.sleep(1.5)
    a.send_signal(signal.SIGKILL)
    a.wait()
    b = worker()
    await asyncio.sleep(1.5)
    end = time.monotonic() + 22
    while time.monotonic() < end:
        try:
            await asyncio.wait_for(handle.query(ClockWorkflow.status), 30)
        except Exception:
            pass
        await asyncio.sleep(0.2)
    b.send_signal(signal.SIGKILL)
    b.wait()
    history = await handle.fetch_history()
    print("1. poisoned (history no longer replays):", not await replays(history))

    c = worker()
    await handle.signal(ClockWorkflow.finish_now)
    await asyncio.sleep(12)
    pending = (await handle.describe()).raw_description.pending_workflow_task
    print(f"2. stuck: the workflow task on a fresh worker is at attempt {pending.attempt}")

    # The service's own check (service/replay_check.py) names the task to reset to.
    outcome = await ReplayCheck(Replayer(workflows=[ClockWorkflow])).history(history)
    print(f"3. replay check: {outcome.failure}; first task that does not replay: event {outcome.reset_to}")
    out = subprocess.run([TEMPORAL, "workflow", "reset", "--address", address, "--workflow-id", workflow_id,
                          "--event-id", str(outcome.reset_to), "--reason", "stale-time commands"],
                         capture_output=True, text=True)
    print(f"   reset to event {outcome.reset_to}: exit {out.returncode}")
    fresh = client.get_workflow_handle(workflow_id)
    print("   result of the new run:", await asyncio.wait_for(fresh.result(), 40))
    new_history = await fresh.fetch_history()
    signals = sum(e.HasField("workflow_execution_signaled_event_attributes") for e in new_history.events)
    print(f"   new run replays: {await replays(new_history)}; signals re-applied: {signals}")
    c.kill()
    server.terminate()
    server.wait()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
