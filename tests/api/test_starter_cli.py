"""The CLI as a person or a backend uses it: a real process against the dev server.
Bad input gets one clear line on stderr, a non-zero exit, and changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Harness, case_data



async def cli(h: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a thread: the test's worker shares this event loop and must keep going."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": h.client.service_client.config.target_host,
        "WAYPOINT_TASK_QUEUE": h.settings.task_queue,
        "WAYPOINT_OUTBOX_DIR": str(h.settings.outbox_dir),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_case(tmp_path: Path, data: object, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


async def test_start_status_and_idempotent_start(dev: Harness, tmp_path: Path):
    data = case_data()
    ref = data["case_reference"]
    path = write_case(tmp_path, data)
    first = await cli(dev, "start", path)
    assert first.returncode == 0 and f"started journey {ref}" in first.stdout
    dev.journeys.started.append(ref)
    again = await cli(dev, "start", path)
    assert again.returncode == 0 and "already exists" in again.stdout and "nothing changed" in again.stdout

    status = await cli(dev, "status", ref, "--json")
    assert status.returncode == 0
    parsed = json.loads(status.stdout)
    assert parsed["case_reference"] == ref and parsed["stage"] == "remote_review"
    readable = await cli(dev, "status", ref)
    assert "stage: remote_review" in readable.stdout and "asked of" in readable.stdout
    messages = await cli(dev, "messages", ref, "--json")
    assert messages.returncode == 0 and isinstance(json.loads(messages.stdout), list)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: "{not json", "not valid JSON"),
        (lambda d: {**d, "guardians": [{**d["guardians"][0], "phone": "+10000000000"}]}, "guardians.0.phone"),
        (lambda d: {**d, "guardians": [{**d["guardians"][0], "timezone": "Mars/Olympus"}]}, "unknown IANA time zone"),
        (lambda d: {**d, "case_reference": "Aigerim Family"}, "case_reference"),
        (lambda d: {**d, "diagnosis": "B-ALL"}, "diagnosis: Extra inputs are not permitted"),
        (lambda d: {**d, "record_holders": {"x_ray": "family"}}, "record_holders"),
        (lambda d: [d], "must hold a JSON object"),
    ],
)
async def test_malformed_case_file_is_refused_and_starts_nothing(dev: Harness, tmp_path: Path, mutate, expected):
    data = case_data()
    bad = mutate(data)
    result = await cli(dev, "start", write_case(tmp_path, bad))
    line = one_clear_line(result)
    assert expected in line
    assert "+10000000000" not in line and "B-ALL" not in line  # values are never echoed
    with pytest.raises(Exception):  # noqa: B017 - not found, whichever RPC error says it
        await dev.journeys.handle(data["case_reference"]).describe()


async def test_bad_commands_are_refused_with_one_line(dev: Harness, tmp_path: Path):
    data = case_data()
    ref = data["case_reference"]
    assert (await cli(dev, "start", write_case(tmp_path, data))).returncode == 0
    dev.journeys.started.append(ref)

    assert "record_type" in one_clear_line(await cli(dev, "record-received", ref, "x_ray", "doc-1"))
    assert "cannot move from remote_review to eligibility" in one_clear_line(await cli(dev, "advance", ref, "eligibility"))
    assert "needs a reason" in one_clear_line(await cli(dev, "review-record", ref, "imaging", "reject"))
    assert "not a case reference" in one_clear_line(await cli(dev, "status", "Aigerim"))
    assert "no journey with case reference WJ-1999-000123" in one_clear_line(await cli(dev, "status", "WJ-1999-000123"))
    assert "recipient" in one_clear_line(await cli(dev, "opt-out", ref, "mother", "sms"))

    status = json.loads((await cli(dev, "status", ref, "--json")).stdout)
    assert status["stage"] == "remote_review" and not status["paused"]
    timeline = json.loads((await cli(dev, "timeline", ref, "--json")).stdout)
    assert [e["kind"] for e in timeline] == ["journey_started"]  # nothing was applied


async def test_commands_apply_and_list_by_stage(dev: Harness, tmp_path: Path):
    data = case_data()
    ref = data["case_reference"]
    assert (await cli(dev, "start", write_case(tmp_path, data))).returncode == 0
    dev.journeys.started.append(ref)
    ok = await cli(dev, "record-received", ref, "imaging", "dms-42")
    assert ok.returncode == 0, ok.stderr
    assert (await cli(dev, "pause", ref, "family_needs_time")).returncode == 0
    listed = await cli(dev, "list", "--stage", "remote_review", "--json")
    assert listed.returncode == 0
    closed = await cli(dev, "close", ref, "family_declined", "--note", "family will call back")
    assert closed.returncode == 0 and "closed (family_declined)" in closed.stdout
    after = await cli(dev, "resume", ref)
    assert "is closed" in one_clear_line(after)


async def test_output_into_a_closed_pipe_ends_quietly(dev: Harness, tmp_path: Path):
    """`starter.py status REF | head` must not end in a BrokenPipeError traceback: the reader has
    gone, which is not an error of ours. The pipe's read end is closed before the CLI writes, so
    the first write fails every time (not only when head happens to close early)."""
    data = case_data()
    ref = data["case_reference"]
    assert (await cli(dev, "start", write_case(tmp_path, data))).returncode == 0
    dev.journeys.started.append(ref)
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev.client.service_client.config.target_host,
        "WAYPOINT_TASK_QUEUE": dev.settings.task_queue,
    }
    try:
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, str(ROOT / "starter.py"), "status", ref],
            env=env, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.returncode == 0


async def test_appointments_from_the_command_line(dev: Harness, tmp_path: Path):
    data = case_data()
    ref = data["case_reference"]
    assert (await cli(dev, "start", write_case(tmp_path, data))).returncode == 0
    dev.journeys.started.append(ref)
    booked = await cli(dev, "appointment", ref, "book", "video_consultation", "2030-03-04T09:30", "--place", "GZ-HOSP-3")
    assert booked.returncode == 0, booked.stderr
    status = await cli(dev, "status", ref)
    assert "appointment A1: video_consultation" in status.stdout and "GZ-HOSP-3" in status.stdout
    assert "in the past" in one_clear_line(await cli(dev, "appointment", ref, "book", "video_consultation", "2020-01-01T09:00"))
    assert "no appointment A7" in one_clear_line(await cli(dev, "appointment", ref, "cancel", "A7"))
    assert "needs the venue's local time" in one_clear_line(await cli(dev, "appointment", ref, "move", "A1"))
    assert (await cli(dev, "appointment", ref, "cancel", "A1")).returncode == 0
    assert "appointment A1" not in (await cli(dev, "status", ref)).stdout
