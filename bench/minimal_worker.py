"""The minimal workflow's worker, a separate process like worker.py (same connect, same data
converter, same sticky timeout): ``python -m bench.minimal_worker``."""

from __future__ import annotations

import asyncio
import os
import signal

from temporalio.worker import Worker

from bench.minimal_workflow import MinimalWorkflow, minimal_send_activity
from service.client import connect
from service.config import STICKY_QUEUE_TIMEOUT, Settings


async def main() -> None:
    settings = Settings.from_env()
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(client, task_queue=settings.task_queue, workflows=[MinimalWorkflow],
                    activities=[minimal_send_activity(str(settings.outbox_dir))],
                    sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    os._exit(0)
