"""Reproduces the stale-time replay divergence with a 30-line workflow (clock_worker.py).

    WAYPOINT_TEMPORAL_BIN=$(bash scripts/ensure-temporal.sh) .venv/bin/python \
        docs/investigations/replay-divergence-after-worker-kill/minimal/repro.py [runs per setting]

Per run: worker A starts ClockWorkflow (a 4 s timer), A is SIGKILLed 1.5 s later, worker B
starts at once, and from 1.5 s after B is up the workflow is queried every 0.2 s (unless the
setting has no reads). The first query
goes to A's dead sticky queue before the timer fires; after the sticky timeout (8 s) the server
clears stickiness and sends it to B as a direct ("legacy") query whose history already holds the
fired timer. Then the whole history is replayed. Printed: one line per run and a summary per
setting (reads, query time limit, workflow cache).
"""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Replayer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from clock_worker import ClockWorkflow  # noqa: E402

STICKY_SECONDS, WAIT_SECONDS, KILL_AFTER, QUERY_AFTER = 8.0, 4.0, 1.5, 1.5


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def one_run(client: Client, address: str, cache: int, query: bool, attempt_s: float | None) -> str:
    task_queue = "clock-" + uuid.uuid4().hex[:6]

    def worker() -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(HERE / "clock_worker.py"), address, task_queue,
                                 str(STICKY_SECONDS), str(cache)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.readline()
        return proc

    a = worker()
    handle = await client.start_workflow(ClockWorkflow.run, WAIT_SECONDS, id="clock-" + uuid.uuid4().hex[:8],
                                         task_queue=task_queue)
    await asyncio.sleep(KILL_AFTER)
    a.send_signal(signal.SIGKILL)
    a.wait()
    b = worker()
    await asyncio.sleep(QUERY_AFTER)
    end = time.monotonic() + 25
    while query and time.monotonic() < end:
        try:
            timeout = None if attempt_s is None else timedelta(seconds=attempt_s)
            await asyncio.wait_for(handle.query(ClockWorkflow.status, rpc_timeout=timeout), 30)
        except Exception:
            pass
        if (await handle.describe()).status.name == "COMPLETED":
            break
        await asyncio.sleep(0.2)
    await asyncio.wait_for(handle.result(), 40)
    history = await handle.fetch_history()
    result = await Replayer(workflows=[ClockWorkflow]).replay_workflow(history, raise_on_replay_failure=False)
    b.kill()
    b.wait()
    timers = [e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
              for e in history.events if e.HasField("timer_started_event_attributes")]
    verdict = "replays" if result.replay_failure is None else "DOES NOT REPLAY"
    return f"timers started {timers}; {verdict}"


async def dev_server() -> tuple[subprocess.Popen, Client, str]:
    """A fresh Temporal dev server (in memory) and a client for it."""
    port = free_port()
    server = subprocess.Popen([os.environ["WAYPOINT_TEMPORAL_BIN"], "server", "start-dev", "--ip", "127.0.0.1",
                               "--port", str(port), "--headless", "--log-level", "error"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            return server, await Client.connect(address), address
        except RuntimeError:
            await asyncio.sleep(0.3)
    raise RuntimeError("the dev server did not start")


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    server, client, address = await dev_server()
    try:
        settings = [
            ("no reads", 1000, False, None),
            ("queries, no time limit", 1000, True, None),
            ("queries, 4 s per attempt (the service's read path)", 1000, True, 4.0),
            ("queries, no time limit, no workflow cache", 0, True, None),
        ]
        for label, cache, query, attempt_s in settings:
            outcomes = []
            for i in range(runs):
                outcome = await one_run(client, address, cache, query, attempt_s)
                outcomes.append(outcome)
                print(f"{label}, run {i + 1}: {outcome}", flush=True)
            bad = sum("DOES NOT" in o for o in outcomes)
            print(f"== {label}: {bad} of {runs} runs do not replay", flush=True)
    finally:
        server.terminate()
        server.wait()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
