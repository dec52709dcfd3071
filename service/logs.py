"""Log setup. Our own log lines carry case references, codes and ids only, never names,
addresses, phone numbers or medical detail.

Without a log folder, human-readable lines go to stderr (``make run``). With one
(``WAYPOINT_LOG_DIR``), every line is also written as one JSON object to
``<folder>/<process name>.log``: appended to across restarts and rotated past
``LOG_FILE_BYTES`` (keeping ``LOG_FILES_KEPT`` old files), never truncated. A line logged inside
a journey or a delivery attempt carries its context: ``journey`` (the workflow id,
``journey-<case reference>``), ``run``, and for an activity ``activity`` and ``attempt``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio import activity, workflow

from service.config import LOG_FILE_BYTES, LOG_FILES_KEPT

HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# A family-page link is a key: /family/<token> in a request line is written as /family/<hidden>.
_FAMILY_TOKEN = re.compile(r"(/family/)[A-Za-z0-9_-]{20,}")


def hide_family_tokens(text: str) -> str:
    return _FAMILY_TOKEN.sub(r"\1<hidden>", text)


class HideFamilyTokens(logging.Filter):
    """For uvicorn's access log (whose record args hold the request path) and any other logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_family_tokens(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = hide_family_tokens(record.msg)
        return True


def hide_family_tokens_in_access_log() -> None:
    """Idempotent; survives uvicorn's own logging setup (which keeps a logger's filters)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideFamilyTokens) for f in access.filters):
        access.addFilter(HideFamilyTokens())


def journey_context(record: logging.LogRecord) -> dict[str, Any]:
    """The journey and attempt a line was logged in: from the SDK's loggers' extras, or from the
    activity or workflow running in this context (plain module loggers inside activities)."""
    context: dict[str, Any] = {}
    wf = getattr(record, "temporal_workflow", None)
    act = getattr(record, "temporal_activity", None)
    if isinstance(act, dict):
        context.update(journey=act.get("workflow_id"), run=act.get("workflow_run_id"),
                       activity=act.get("activity_type"), attempt=act.get("attempt"))
    elif isinstance(wf, dict):
        context.update(journey=wf.get("workflow_id"), run=wf.get("run_id"), task_queue=wf.get("task_queue"))
    elif activity.in_activity():
        info = activity.info()
        context.update(journey=info.workflow_id, run=info.workflow_run_id, activity=info.activity_type, attempt=info.attempt)
    elif workflow.in_workflow():
        winfo = workflow.info()
        context.update(journey=winfo.workflow_id, run=winfo.run_id)
    return {k: v for k, v in context.items() if v is not None}


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, journey context, error."""

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": hide_family_tokens(record.getMessage()),
            "process": self.process_name,
            **journey_context(record),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO", *, log_dir: Path | None = None, process_name: str = "worker") -> Path | None:
    """Stderr always; with ``log_dir`` also JSON lines in a rotated file. Returns its path."""
    root = logging.getLogger()
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter(HUMAN_FORMAT))
    root.addHandler(console)
    path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"{process_name}.log"
        # mode "a": a restart appends; past the size limit the file is rotated, never truncated.
        handler = logging.handlers.RotatingFileHandler(path, mode="a", maxBytes=LOG_FILE_BYTES,
                                                       backupCount=LOG_FILES_KEPT, encoding="utf-8")
        handler.setFormatter(JsonLines(process_name))
        root.addHandler(handler)
    # httpx logs full request URLs at INFO; keep them out of the way.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic names each of its plugins at INFO whenever the ledger schema is checked; the
    # migrations it runs (alembic.runtime.migration) stay in the log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return path
