"""A journey's cost as it ages: one second-opinion family through its records, the review and a
year of monthly follow-up check-ins (12 months of simulated time on the Java time-skipping test
server, the project's worker in-process), continuing as new every ``--events`` events. Prints, per
run: history events and bytes (JSON) and the bytes of the state the run started from.

    .venv/bin/python -m bench.year [--events 400] [--json var/bench/year.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench import cases
from bench.processes import ROOT
from domain.case_file import CaseFile
from domain.commands import AdvanceStage, ApplyMilestone, RecordDecision, RecordReceived, ReviewRecord
from domain.stages import Milestone, Stage
from service.client import data_converter
from service.config import Settings
from service.journeys import Journeys
from worker import build_worker
from workflows import search_attributes as sa
from workflows.journey_types import journey_id

MONTH = timedelta(days=30)


def _case(events: int) -> CaseFile:
    data = cases.case(1).model_dump(mode="json", exclude_none=True)
    data["policy"] = {"continue_as_new_after_events": events,
                      "timekeeping": {"follow_up_check_ins": {"second_opinion": 12}}}
    return CaseFile.intake(data)


async def _runs(client: Client, workflow_id: str, first_run: str) -> list[dict]:
    """Each run of the journey, following continue-as-new from the first."""
    runs, run_id, began = [], first_run, None
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        last = history.events[-1]
        began = began or history.events[0].event_time.ToDatetime()
        runs.append({"run": len(runs) + 1,
                     "from_day": (history.events[0].event_time.ToDatetime() - began).days,
                     "to_day": (last.event_time.ToDatetime() - began).days, "events": len(history.events), "history_bytes": len(history.to_json()),
                     "input_bytes": sum(p.ByteSize() for p in started.input.payloads),
                     "ended_by": last.WhichOneof("attributes").removesuffix("_event_attributes")})
        run_id = (last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                  if last.HasField("workflow_execution_continued_as_new_event_attributes") else "")
    return runs


async def main(args: argparse.Namespace) -> int:
    test_server = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-test-server.sh")], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server,
                                                        data_converter=data_converter())
    try:
        kinds = {"KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
                 "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}
        await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
            namespace=env.client.namespace, search_attributes={k.name: kinds[k.indexed_value_type.name] for k in sa.ALL}))
        settings = Settings(task_queue=f"year-{uuid.uuid4().hex[:8]}", outbox_dir=Path(tempfile.mkdtemp()) / "outbox")
        journeys = Journeys(env.client, settings.task_queue)
        case = _case(args.events)
        ref = case.case_reference
        async with build_worker(env.client, settings):
            await journeys.start(case)
            first_run = (await journeys.handle(ref).describe()).run_id
            for i, record_type in enumerate(cases.outstanding_records()):
                await journeys.report_record_received(ref, RecordReceived(record_type=record_type, document_id=f"doc-{i}"))
                await journeys.command(ref, ReviewRecord(record_type=record_type, decision=RecordDecision.ACCEPT))
            await journeys.command(ref, ApplyMilestone(milestone=Milestone.REVIEW_STARTED))
            await journeys.command(ref, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="remote_advice_only"))
            await journeys.command(ref, AdvanceStage(to_stage=Stage.FOLLOW_UP))
            for _ in range(12):
                await env.sleep(MONTH)
            await env.sleep(timedelta(days=5))
            runs = await _runs(env.client, journey_id(ref), first_run)
            status = (await journeys.handle(ref).describe()).status
        result = {"months": 12, "continue_as_new_after_events": args.events, "runs": runs,
                  "status_at_end": status.name if status else None}
        print("| run | days | history events | history bytes (JSON) | state/input bytes at start | ended by |")
        print("|---|---|---|---|---|---|")
        for r in runs:
            print(f"| {r['run']} | {r['from_day']}-{r['to_day']} | {r['events']} | {r['history_bytes']} | {r['input_bytes']} | "
                  f"{r['ended_by']} |")
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
        return 0
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.year", description=__doc__)
    parser.add_argument("--events", type=int, default=400, help="continue as new after this many events")
    parser.add_argument("--json", default="var/bench/year.json")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
