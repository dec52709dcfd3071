"""The benchmark runs on a fresh clone (a small size): its own dev server on free ports, the real
worker and the minimal workflow's worker as processes, and the figures written as JSON. Design
properties are checked, never timings: the same messages as the minimal workflow, a digest memo
under the server's 2 KB warning limit, no size warning in the server log, one timer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, _tool

pytestmark = pytest.mark.temporal


def test_a_small_benchmark_run_writes_its_figures(tmp_path: Path) -> None:
    _tool("ensure-temporal.sh", "WAYPOINT_TEMPORAL_BIN")  # installed (cached) before the run
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--journeys", "3", "--concurrency", "3",
                          "--work-dir", str(tmp_path / "work"), "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| history bytes per family (JSON) |" in run.stdout
    figures = json.loads(out.read_text())
    journey, minimal = figures["phases"]["journey"], figures["phases"]["minimal"]
    assert journey["messages_per_family"] == minimal["messages_per_family"] == 6
    assert 0 < journey["memo_bytes"] < 2048 and journey["size_warnings"] == 0
    assert journey["history_event_types"].get("timer_started", 0) <= 1
    assert journey["history_event_types"].get("timer_canceled", 0) == 0
    assert set(figures["ratios"]) >= {"throughput", "rss_per_cached_kib", "history_bytes", "latency_ms_p99"}
