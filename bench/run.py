"""The benchmark run: a dev server of its own on free ports, the real worker (worker.py) as a
separate process, N families driven through the project's client to records complete; then, in
the same run, the same work on the minimal workflow with its own worker process; the table of
same-run ratios printed and written as JSON. ``--dashboard`` then fills the server to 10,000 open
journeys and times the coordinator's views through the real API process."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from temporalio.client import Client

from bench import cases, drive, figures, processes
from bench.processes import ROOT, Process
from service.client import data_converter
from service.journeys import Journeys

WARM_UP = 5  # families driven before measuring (imports, caches), not counted
WARM_NUMBERS = [900_000 + i for i in range(WARM_UP)]


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "temporalio": version("temporalio"), "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg())}


def log(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


async def run_phase(name: str, client: Client, server: Process, address: str, work: Path, worker_module: list[str],
                    one: Callable[[str, int], Awaitable[drive.Driven]], workflow_id: Callable[[str], str],
                    numbers: list[int], concurrency: int) -> figures.Phase:
    task_queue = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    outbox = work / f"outbox-{name}"
    worker = processes.start_worker(f"{name} worker", worker_module, address, task_queue, outbox,
                                    work / f"worker-{name}.log")
    try:
        await asyncio.sleep(2)
        worker.check_alive()
        warm = WARM_NUMBERS if name == "journey" else [n + 50_000 for n in WARM_NUMBERS]
        await drive.drive_all(warm, WARM_UP, lambda n: one(task_queue, n))
        await figures.message_latencies(outbox, [drive.Driven(cases.reference(n), 0) for n in warm], "stage_change")
        await asyncio.sleep(1)
        rss_before, cpu_before, server_before = worker.rss(), worker.cpu(), server.cpu()
        warnings_before = processes.size_warnings(server.log)
        log(f"{name}: driving {len(numbers)} families, {concurrency} at a time (worker RSS {rss_before} KiB)")
        step = max(1, len(numbers) // 10)
        driven, seconds = await drive.drive_all(numbers, concurrency, lambda n: one(task_queue, n),
                                                lambda k: k % step == 0 and log(f"{name}: {k} at records complete"))
        latencies = await figures.message_latencies(outbox, driven, "stage_change")
        await _settle(outbox)
        worker.check_alive()
        rss_after, cpu_after, server_after = worker.rss(), worker.cpu(), server.cpu()
        warnings = processes.size_warnings(server.log) - warnings_before
        sample = [workflow_id(d.case_reference) for d in driven[:: max(1, len(driven) // 40)]]
        hist = await figures.history_figures(client, sample)
        n = len(numbers)
        phase = figures.Phase(
            name=name, journeys=n, concurrency=concurrency, seconds=round(seconds, 2), throughput=n / seconds,
            worker_rss_before_kib=rss_before, worker_rss_after_kib=rss_after,
            rss_per_cached_kib=(rss_after - rss_before) / n,
            worker_cpu_per_journey_ms=(cpu_after - cpu_before) * 1000 / n,
            server_cpu_per_journey_ms=(server_after - server_before) * 1000 / n,
            history_events=hist.events, history_bytes=hist.bytes, memo_bytes=hist.memo_bytes,
            history_event_types=hist.by_type, history_event_bytes=hist.bytes_by_type,
            latency_ms_p50=figures.percentile(latencies, 50) * 1000,
            latency_ms_p95=figures.percentile(latencies, 95) * 1000,
            latency_ms_p99=figures.percentile(latencies, 99) * 1000,
            messages_per_family=figures.files_written(outbox, [d.case_reference for d in driven]) / n,
            size_warnings=warnings,
        )
        log(f"{name}: {n} in {seconds:.1f} s ({phase.throughput:.2f}/s), RSS +{rss_after - rss_before} KiB")
        return phase
    finally:
        worker.stop()


async def _settle(outbox: Path, quiet: float = 3.0) -> None:
    """Waits until no message has been written for ``quiet`` seconds."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        now = figures.files_written(outbox)
        if now != last:
            last, since = now, time.monotonic()
        await asyncio.sleep(0.5)


async def main(args: argparse.Namespace) -> int:
    # SIGTERM (or Ctrl-C) cancels the run, so the finally clauses stop the processes it started.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
    temporal = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-temporal.sh")], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="waypoint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    log(f"work directory {work}; {info['cpus']} CPUs, load {info['load_average_at_start']}")
    server, address = processes.start_dev_server(temporal, work, args.port)
    try:
        client = await Client.connect(address, data_converter=data_converter())
        numbers = list(range(1, args.journeys + 1))
        phases = {}
        for name in [n for n in args.order.split(",") if n]:
            if name == "journey":
                phases[name] = await run_phase(
                    "journey", client, server, address, work, ["worker.py"],
                    lambda tq, n: drive.drive_journey(Journeys(client, tq), n), lambda ref: f"journey-{ref}",
                    numbers, args.concurrency)
            else:
                phases[name] = await run_phase(
                    "minimal", client, server, address, work, ["-m", "bench.minimal_worker"],
                    lambda tq, n: drive.drive_minimal(client, tq, n), drive.minimal_id,
                    [n + 500_000 for n in numbers], args.concurrency)
            _save(args.json, {"partial": True, "machine": info, "phases": {k: v.as_dict() for k, v in phases.items()}})
        info["load_average_at_end"] = list(os.getloadavg())
        result: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": info,
                        "journeys": args.journeys, "concurrency": args.concurrency,
                        "phases": {k: v.as_dict() for k, v in phases.items()}}
        if {"journey", "minimal"} <= set(phases):
            result["ratios"] = figures.ratios(phases["journey"], phases["minimal"])
            print(figures.table(phases["journey"], phases["minimal"]))
        if args.dashboard:
            from bench import dashboard  # noqa: PLC0415

            result["dashboard"] = await dashboard.measure(client, server, address, work, args.dashboard_journeys,
                                                          args.concurrency,
                                                          already=[*numbers, *WARM_NUMBERS] if phases else [])
            print(dashboard.table(result["dashboard"]))
        _save(args.json, result)
        log(f"figures written to {args.json}")
        return 0
    finally:
        server.stop()


def _save(path: str, result: dict) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--journeys", type=int, default=200, help="families per phase (default 200)")
    parser.add_argument("--concurrency", type=int, default=50, help="families driven at once (default 50)")
    parser.add_argument("--order", default="journey,minimal",
                        help="phases in order (default journey,minimal; '' for none, e.g. with --dashboard)")
    parser.add_argument("--dashboard", action="store_true", help="also time the coordinator's views at scale")
    parser.add_argument("--dashboard-journeys", type=int, default=10_000, help="open journeys for --dashboard")
    parser.add_argument("--port", type=int, default=None, help="dev server gRPC port (default: a free one)")
    parser.add_argument("--work-dir", default=None, help="server data, outboxes and logs (default: a temp dir)")
    parser.add_argument("--json", default="var/bench/latest.json", help="where the figures are written")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
