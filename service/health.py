"""Health, the same way for a worker and the API:

- liveness ``/healthz``: the process answers (restart it when this fails);
- readiness ``/healthz/ready``: every dependency answered within ``HEALTH_CHECK_TIMEOUT``
  (take it out of rotation, and page when it stays red). 200 with each check's result, or 503
  naming the checks that failed (a reason code, never a URL, a password or personal data).

Checks: ``temporal`` (the frontend answers GetSystemInfo), ``ledger`` (the delivery ledger
answers ``SELECT 1``), and for a worker ``polling`` (Temporal lists this worker among the task
queue's pollers: it is really taking work).

A worker serves them with ``HealthServer`` on ``WAYPOINT_HEALTH_ADDRESS``; the API mounts them
as routes (api/health_routes.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client

from messaging.ledger import Ledger
from service.config import HEALTH_CHECK_TIMEOUT

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]  # raises when the dependency is not usable
POLL_SEEN_WITHIN = timedelta(minutes=2)  # a poller Temporal has not seen for longer is gone


def temporal_check(client: Client) -> Check:
    async def check() -> None:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=HEALTH_CHECK_TIMEOUT)
    return check


def ledger_check(ledger: Ledger) -> Check:
    async def check() -> None:
        await asyncio.to_thread(ledger.ping)
    return check


def polling_check(client: Client, task_queue: str) -> Check:
    """This process's identity is among the workflow task queue's recent pollers."""
    async def check() -> None:
        found = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), timeout=HEALTH_CHECK_TIMEOUT)
        now = datetime.now(UTC)
        for poller in found.pollers:
            if poller.identity == client.identity and now - poller.last_access_time.ToDatetime(UTC) < POLL_SEEN_WITHIN:
                return
        raise LookupError("this worker is not among the task queue's pollers")
    return check


async def readiness(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Run every check at once; each gets ``HEALTH_CHECK_TIMEOUT``."""
    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), HEALTH_CHECK_TIMEOUT.total_seconds())
            return "ok"
        except TimeoutError:
            return "timeout"
        except Exception as exc:  # noqa: BLE001 - report which dependency failed and how (type only)
            return f"failed: {type(exc).__name__}"
    results = dict(zip(checks, await asyncio.gather(*(one(c) for c in checks.values())), strict=True))
    return all(r == "ok" for r in results.values()), results


class HealthServer:
    """A minimal HTTP listener for a worker's ``/healthz`` and ``/healthz/ready`` (GET only)."""

    def __init__(self, checks: Mapping[str, Check], alive: Callable[[], bool] = lambda: True) -> None:
        self.checks = checks
        self.alive = alive
        self._server: asyncio.Server | None = None

    async def start(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._server = await asyncio.start_server(self._serve, host or "127.0.0.1", int(port))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5.0)
            while (await asyncio.wait_for(reader.readline(), 5.0)) not in (b"\r\n", b"\n", b""):
                pass  # headers: not needed
            parts = request.decode("latin-1").split()
            status, body = await self._answer(parts[0] if parts else "", parts[1] if len(parts) > 1 else "")
            payload = json.dumps(body).encode()
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
            writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> tuple[int, dict[str, object]]:
        if method != "GET":
            return 405, {"status": "method not allowed"}
        path = path.split("?", 1)[0].rstrip("/")
        if path == "/healthz":
            return (200, {"status": "alive"}) if self.alive() else (503, {"status": "stopping"})
        if path == "/healthz/ready":
            ok, results = await readiness(self.checks)
            ok = ok and self.alive()
            return (200 if ok else 503), {"status": "ready" if ok else "not ready", "checks": results}
        return 404, {"status": "not found"}
