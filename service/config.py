"""Configuration from the environment. One place lists every variable the code reads."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DEFAULT_TASK_QUEUE = "waypoint-journeys"

# A worker's sticky queue: how long a journey's next task (or a query) waits for the worker that
# ran it last before going to any worker. Queries are given less time than that, and are retried:
# a query that outlived a dead worker's sticky queue would be handed to a fresh worker together
# with events that arrived meanwhile, and temporalio 1.35 then computes the journey's next
# commands at a stale time (docs/investigations/replay-divergence-after-worker-kill/).
STICKY_QUEUE_TIMEOUT = timedelta(seconds=10)
QUERY_ATTEMPT_TIMEOUT = timedelta(seconds=4)
QUERY_ATTEMPTS = 3
assert QUERY_ATTEMPT_TIMEOUT < STICKY_QUEUE_TIMEOUT
# A full status read asks the journey only if a worker polled its task queue this recently (a
# worker's long poll lasts up to a minute, so an idle worker's last poll can be that old).
WORKER_SEEN_WITHIN = timedelta(seconds=70)

# The longest link base and sender name messages are built with: every SMS of every event in
# every language is tested to fit two segments with these and the longest case reference.
MAX_CASE_LINK_BASE_LENGTH = 48
MAX_SENDER_NAME_LENGTH = 20

# Every variable the worker reads (the compose test checks they are all provided).
WORKER_ENV = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "WAYPOINT_TASK_QUEUE",
    "WAYPOINT_OUTBOX_DIR",
    "WAYPOINT_CASE_LINK_BASE",
    "WAYPOINT_SENDER_NAME",
    "WAYPOINT_LOG_LEVEL",
)


@dataclass(frozen=True)
class Settings:
    task_queue: str = DEFAULT_TASK_QUEUE
    outbox_dir: Path = Path("var/outbox")
    case_link_base: str = "https://portal.waypoint.example/case"
    sender_name: str = "Waypoint Journeys"
    log_level: str = "INFO"
    # Temporal connection: address / namespace / TLS / API key come from temporalio.envconfig
    # (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
    # TEMPORAL_CONFIG_FILE), so the same code runs against a dev server, a cluster or Cloud.
    temporal_profile: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        e = dict(os.environ if env is None else env)
        for name, limit in (("WAYPOINT_CASE_LINK_BASE", MAX_CASE_LINK_BASE_LENGTH), ("WAYPOINT_SENDER_NAME", MAX_SENDER_NAME_LENGTH)):
            if len(e.get(name, "").rstrip("/")) > limit:
                raise ValueError(f"{name} must be at most {limit} characters (every SMS must fit two segments)")
        return cls(
            task_queue=e.get("WAYPOINT_TASK_QUEUE", DEFAULT_TASK_QUEUE),
            outbox_dir=Path(e.get("WAYPOINT_OUTBOX_DIR", "var/outbox")),
            case_link_base=e.get("WAYPOINT_CASE_LINK_BASE", cls.case_link_base).rstrip("/"),
            sender_name=e.get("WAYPOINT_SENDER_NAME", cls.sender_name),
            log_level=e.get("WAYPOINT_LOG_LEVEL", "INFO").upper(),
            temporal_profile=e.get("TEMPORAL_PROFILE") or None,
        )
