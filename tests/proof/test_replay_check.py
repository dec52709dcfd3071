"""The replay check (service/replay_check.py, `starter.py check-replay`): a history that no longer
replays is found, with the task to reset it to; healthy journeys pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from service.replay_check import ReplayCheck
from tests.conftest import HISTORIES, ROOT, Harness, make_case
from tests.api.test_starter_cli import cli, one_clear_line

# A real journey left stuck by the stale-time race (chaos run, seed 23, before the fix): its task
# completed at event 47 carried commands computed at the previous task's time.
STUCK = ROOT / "docs" / "investigations" / "replay-divergence-after-worker-kill" / "history-2.json"


async def test_a_stuck_journey_is_found_with_the_task_to_reset_to():
    history = WorkflowHistory.from_json("journey-WJ-2026-900002", STUCK.read_text())
    outcome = await ReplayCheck().history(history, "run-1")
    assert not outcome.replays
    assert outcome.failure == "Nondeterminism error at event 53 (TimerCanceled)"
    # The first task whose history no longer replays; everything before it does.
    assert outcome.reset_to == 52
    assert outcome.reset_command() == (
        "temporal workflow reset --workflow-id journey-WJ-2026-900002 --run-id run-1 --event-id 52 "
        "--reason 'history no longer replays'")


@pytest.mark.parametrize("path", [HISTORIES / "car_t.json", HISTORIES / "before-status-memo" / "transplant.json"],
                         ids=["car_t", "transplant-before-status-memo"])
async def test_recorded_histories_pass(path: Path):
    outcome = await ReplayCheck().history(WorkflowHistory.from_json("journey-x", path.read_text()), "run")
    assert outcome.replays and outcome.reset_to is None and outcome.reset_command() is None


async def test_check_replay_from_the_command_line(dev: Harness):
    case = make_case()
    await dev.journeys.start(case)
    ok = await cli(dev, "check-replay", case.case_reference)
    assert ok.returncode == 0, ok.stderr
    assert f"journey-{case.case_reference}: replays" in ok.stdout and "1 of 1 runs replay" in ok.stdout
    every_open = await cli(dev, "check-replay")  # what to run before a deploy
    assert every_open.returncode == 0 and "runs replay on this code" in every_open.stdout, every_open.stdout
    assert "not a case reference" in one_clear_line(await cli(dev, "check-replay", "nonsense"))
    assert "no journey with case reference" in one_clear_line(await cli(dev, "check-replay", "WJ-2026-999999"))
