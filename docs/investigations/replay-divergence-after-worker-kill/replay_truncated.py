"""Replays history.json cut after event N (argv[1]); the last task is then processed as live.

    .venv/bin/python docs/investigations/replay-divergence-after-worker-kill/replay_truncated.py 154
"""
import asyncio, sys, glob, logging
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from temporalio import workflow
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from service.client import data_converter
from workflows.journey import JourneyWorkflow
workflow.logger.log_during_replay = True
async def main():
    path = str(__import__("pathlib").Path(__file__).with_name("history.json"))
    h = WorkflowHistory.from_json("journey-WJ-2026-900022", open(path).read())
    cut = int(sys.argv[1])
    events = [e for e in h.events if e.event_id <= cut]
    h2 = WorkflowHistory(h.workflow_id, events)
    r = await Replayer(workflows=[JourneyWorkflow], data_converter=data_converter()).replay_workflow(h2, raise_on_replay_failure=False)
    print("failure:", str(r.replay_failure)[:200])
asyncio.run(main())
