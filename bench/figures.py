"""What a phase is measured by, and the table of same-run ratios."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio.client import Client

from bench.drive import Driven


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class HistoryFigures:
    events: float
    bytes: float
    memo_bytes: float
    by_type: dict[str, float] = field(default_factory=dict)
    bytes_by_type: dict[str, float] = field(default_factory=dict)


async def history_figures(client: Client, workflow_ids: list[str]) -> HistoryFigures:
    """Mean events and JSON bytes of these workflows' histories, their memo's size and the mean
    count of each event type (what a history is made of)."""
    events = sizes = memo = 0
    kinds: Counter[str] = Counter()
    kind_bytes: Counter[str] = Counter()
    for wid in workflow_ids:
        handle = client.get_workflow_handle(wid)
        history = await handle.fetch_history()
        events += len(history.events)
        sizes += len(history.to_json().encode())
        for event in history.events:
            kind = event.WhichOneof("attributes").removesuffix("_event_attributes")
            kinds[kind] += 1
            kind_bytes[kind] += event.ByteSize()
        description = await handle.describe()
        memo += sum(p.ByteSize() for p in description.raw_description.workflow_execution_info.memo.fields.values())
    n = max(1, len(workflow_ids))
    return HistoryFigures(events / n, sizes / n, memo / n, {k: v / n for k, v in sorted(kinds.items())},
                          {k: v / n for k, v in sorted(kind_bytes.items())})


async def message_latencies(outbox: Path, driven: list[Driven], event: str, timeout: float = 120.0) -> list[float]:
    """Seconds from the command that completed the records to the first family message about it
    written in the outbox (file modification time), per family; waits for the files to appear."""
    deadline = time.monotonic() + timeout
    latencies: dict[str, float] = {}
    while len(latencies) < len(driven) and time.monotonic() < deadline:
        for d in driven:
            if d.case_reference in latencies:
                continue
            written = [p.stat().st_mtime for p in (outbox / d.case_reference).glob(f"{event}-*")]
            if written:
                latencies[d.case_reference] = min(written) - d.last_command_at
        if len(latencies) < len(driven):
            await asyncio.sleep(0.5)
    if len(latencies) < len(driven):
        raise RuntimeError(f"only {len(latencies)} of {len(driven)} families got their '{event}' message")
    return list(latencies.values())


def files_written(outbox: Path, case_references: list[str] | None = None) -> int:
    if case_references is None:
        return sum(1 for p in outbox.rglob("*.txt"))
    return sum(1 for ref in case_references for p in (outbox / ref).glob("*.txt"))


@dataclass
class Phase:
    """One kind of workflow driven N times, and what it cost."""

    name: str
    journeys: int
    concurrency: int
    seconds: float
    throughput: float  # families to records complete per second
    worker_rss_before_kib: int
    worker_rss_after_kib: int
    rss_per_cached_kib: float
    worker_cpu_per_journey_ms: float
    server_cpu_per_journey_ms: float
    history_events: float
    history_bytes: float
    memo_bytes: float
    history_event_types: dict[str, float]
    history_event_bytes: dict[str, float]  # protobuf bytes by event type
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    messages_per_family: float
    size_warnings: int

    def as_dict(self) -> dict:
        return asdict(self)


ROWS = (
    ("families to records complete per second", "throughput", "{:.2f}"),
    ("worker RSS per cached open family (KiB)", "rss_per_cached_kib", "{:.0f}"),
    ("worker CPU per family (ms)", "worker_cpu_per_journey_ms", "{:.0f}"),
    ("server CPU per family (ms)", "server_cpu_per_journey_ms", "{:.0f}"),
    ("history events per family", "history_events", "{:.0f}"),
    ("history bytes per family (JSON)", "history_bytes", "{:.0f}"),
    ("memo bytes", "memo_bytes", "{:.0f}"),
    ("command -> family message written, p50 (ms)", "latency_ms_p50", "{:.0f}"),
    ("command -> family message written, p95 (ms)", "latency_ms_p95", "{:.0f}"),
    ("command -> family message written, p99 (ms)", "latency_ms_p99", "{:.0f}"),
    ("messages written per family", "messages_per_family", "{:.1f}"),
    ("server size warnings during the phase", "size_warnings", "{:d}"),
)


def ratios(journey: Phase, minimal: Phase) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for _, key, _fmt in ROWS:
        a, b = getattr(journey, key), getattr(minimal, key)
        out[key] = (a / b) if b else None
    return out


def table(journey: Phase, minimal: Phase) -> str:
    lines = ["| figure | journey | same-work minimal | ratio |", "|---|---|---|---|"]
    r = ratios(journey, minimal)
    for label, key, fmt in ROWS:
        ratio = r[key]
        lines.append(f"| {label} | {fmt.format(getattr(journey, key))} | {fmt.format(getattr(minimal, key))} | "
                     f"{'' if ratio is None else f'{ratio:.2f}'} |")
    return "\n".join(lines)
