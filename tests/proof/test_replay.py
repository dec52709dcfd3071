"""Histories recorded from real runs of every pathway are replayed against the current workflow
code. A change that would break a running journey (a non-deterministic change without
``workflow.patched``) fails here, in CI, before it reaches a year-long journey.

Record them again (only when a change is meant to be incompatible, behind a patch) with:
    WAYPOINT_RECORD_HISTORIES=1 bash scripts/test.sh tests/workflows/test_journey_workflow.py \
        tests/workflows/test_chase_timeskipping.py tests/workflows/test_timekeeping_year.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from service.client import data_converter
from service.codec import payload_codec
from service.config import Settings
from tests.conftest import HISTORIES
from workflows.journey import JourneyWorkflow
from workflows.sandbox import journey_runner

# tests/histories/*.json were recorded with the current code; each sub-folder holds the histories
# recorded before a patched change (named after it), for journeys that may still be open.
RECORDED = sorted(HISTORIES.rglob("*.json"))
EXPECTED = {"second_opinion", "transplant", "car_t", "continued_as_new", "records_chase_month", "paused_and_resumed"}


# Journeys that keep time after the records, each from records to the end of its follow-up.
TIMEKEEPING = {"timekeeping_transplant_year", "timekeeping_car_t_year"}


def test_every_pathway_has_a_recorded_history():
    assert EXPECTED | TIMEKEEPING <= {p.stem for p in HISTORIES.glob("*.json")}
    for older in (d for d in HISTORIES.iterdir() if d.is_dir()):
        assert EXPECTED <= {p.stem for p in older.glob("*.json")}, older.name


def _name(path: Path) -> str:
    return str(path.relative_to(HISTORIES).with_suffix(""))


@pytest.mark.parametrize("path", RECORDED, ids=[_name(p) for p in RECORDED])
async def test_recorded_history_replays_on_current_code(path: Path):
    history = WorkflowHistory.from_json(f"journey-{path.stem}", path.read_text())
    replayer = Replayer(workflows=[JourneyWorkflow], data_converter=data_converter(payload_codec(Settings.from_env().codec.payload_keys)),
                        workflow_runner=journey_runner())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
