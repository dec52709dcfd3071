"""The Waypoint Journeys worker: runs journey workflows and the delivery activity.

    python worker.py            # connects with TEMPORAL_ADDRESS / envconfig, default localhost:7233

SIGINT/SIGTERM stop it gracefully: no new tasks are taken and running activities get time to
finish; Temporal hands anything unfinished to the next worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import zoneinfo
from pathlib import Path
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryActivities
from domain.case_file import Channel
from messaging.delivery_contract import Sender
from messaging.outbox import Outbox, OutboxSender
from messaging.ledger import make_engine
from messaging.links import CaseLinks, LinkBook
from messaging.provider_config import senders_from_env
from messaging.render import Renderer
from service.client import connect
from service.config import STICKY_QUEUE_TIMEOUT, Settings
from service.logs import configure
from workflows.journey import JourneyWorkflow
from workflows.sandbox import journey_runner

log = logging.getLogger("waypoint.worker")


def outbox_senders(settings: Settings) -> dict[Channel, Sender]:
    outbox = OutboxSender(Outbox(settings.outbox_dir))
    return {Channel.EMAIL: outbox, Channel.SMS: outbox}


def case_links(settings: Settings) -> CaseLinks:
    """An organisation's portal when WAYPOINT_CASE_LINK_BASE is set, else the family page."""
    if settings.case_link_base:
        return CaseLinks(settings.case_link_base)
    family = settings.family
    return CaseLinks(None, LinkBook(make_engine(family.database_url)), family.link_base, family.link_valid_for)


def build_worker(client: Client, settings: Settings, senders: dict[Channel, Sender] | None = None) -> Worker:
    renderer = Renderer(sender_name=settings.sender_name)
    deliveries = DeliveryActivities(renderer, senders or outbox_senders(settings), case_links(settings))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[JourneyWorkflow],
        workflow_runner=journey_runner(),
        activities=[deliveries.deliver_message],
        graceful_shutdown_timeout=timedelta(seconds=20),
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
    )


def packaged_zones_only() -> None:
    """Time zones from the pinned tzdata package only, never the system's zone files: quiet
    hours and reminder times are computed in the workflow, and a replay must compute them from
    the same zone data (scripts set PYTHONTZPATH="" too; this holds when they are bypassed)."""
    if zoneinfo.TZPATH:
        zoneinfo.reset_tzpath(to=())


async def main() -> None:
    packaged_zones_only()
    settings = Settings.from_env()
    configure(settings.log_level)
    try:
        senders, ledger = senders_from_env(os.environ, OutboxSender(Outbox(settings.outbox_dir)))
    except ValueError as err:  # names the variable, never a secret
        log.error("configuration: %s", err)
        raise SystemExit(2) from None
    client = await connect(settings)
    worker = build_worker(client, settings, senders)
    channels = ", ".join(f"{c.value} via {type(s).__name__}" for c, s in senders.items())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %s (%s; outbox: %s)", settings.task_queue, channels, settings.outbox_dir)
    try:
        async with worker:
            ready = os.environ.get("WAYPOINT_READY_FILE")
            if ready:  # `make run` prints "running" once this exists: the worker is polling
                Path(ready).write_text("polling\n")
            await stop.wait()
            log.info("shutting down: finishing in-flight work")
    finally:
        if ledger is not None:
            ledger.close()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
    # Skip interpreter teardown (temporalio/sdk-python#300): a clean stop must exit 0.
    logging.shutdown()
    os._exit(0)
