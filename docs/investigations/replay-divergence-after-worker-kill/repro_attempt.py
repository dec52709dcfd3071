"""A first attempt to reproduce the divergence small (it did NOT reproduce it):
kill the worker while a reminder timer is pending, let the sticky task time out, query the
journey while a fresh worker picks it up, then replay the history.

    WAYPOINT_TEMPORAL_BIN=$(bash scripts/ensure-temporal.sh) .venv/bin/python \
        docs/investigations/replay-divergence-after-worker-kill/repro_attempt.py query 16
"""
import asyncio, json, os, signal, subprocess, sys, time, socket, tempfile
ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from temporalio.client import Client
from temporalio.worker import Replayer
from domain.case_file import CaseFile
from service.client import data_converter
from service import search_attributes as sa
from service.journeys import Journeys
from workflows.journey import JourneyWorkflow

QUERY = sys.argv[1] == "query"
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

async def main():
    port = free_port(); wd = tempfile.mkdtemp()
    srv = subprocess.Popen([os.environ["WAYPOINT_TEMPORAL_BIN"], "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless", "--log-level", "error", *sa.dev_server_flags()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            client = await Client.connect(f"127.0.0.1:{port}", data_converter=data_converter()); break
        except RuntimeError: await asyncio.sleep(0.3)
    env = {**os.environ, "TEMPORAL_ADDRESS": f"127.0.0.1:{port}", "WAYPOINT_TASK_QUEUE": "repro", "WAYPOINT_OUTBOX_DIR": wd + "/outbox", "WAYPOINT_LOG_LEVEL": "WARNING"}
    worker = lambda: subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    a = worker()
    await asyncio.sleep(3)
    data = json.load(open(ROOT / "examples" / "case-car-t.json"))
    data["case_reference"] = "WJ-2026-777777"
    for g in data["guardians"]: g["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    data["local_team"]["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    data["policy"] = {"chase": {"first_reminder_after": "PT6S", "reminder_interval": "PT6S", "escalate_after_reminders": 3}}
    j = Journeys(client, "repro")
    await j.start(CaseFile.model_validate(data))
    await asyncio.sleep(2.5)           # first task done, deliveries done, 6 s timer pending
    a.send_signal(signal.SIGKILL); a.wait()
    await asyncio.sleep(float(sys.argv[2]))
    qs = []
    if QUERY:
        qs = [asyncio.create_task(asyncio.wait_for(j.status("WJ-2026-777777"), 20)) for _ in range(3)]
        await asyncio.sleep(0.5)
    b = worker()
    t = time.monotonic()
    while time.monotonic() - t < 15:
        if QUERY:
            try: await asyncio.wait_for(j.status("WJ-2026-777777"), 2)
            except Exception as e: pass
        await asyncio.sleep(0.3)
    h = await j.handle("WJ-2026-777777").fetch_history()
    r = await Replayer(workflows=[JourneyWorkflow], data_converter=data_converter()).replay_workflow(h, raise_on_replay_failure=False)
    print("QUERY" if QUERY else "NOQUERY", "replay failure:", str(r.replay_failure)[:160] if r.replay_failure else None)
    open(f"/tmp/history-{sys.argv[1]}.json", "w").write(h.to_json())
    b.terminate(); b.wait(); srv.terminate(); srv.wait()
    os._exit(0)
asyncio.run(main())
