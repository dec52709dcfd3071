"""The Waypoint Journeys worker: runs journey workflows and the delivery activity.

    python worker.py            # connects with TEMPORAL_ADDRESS / envconfig, default localhost:7233

SIGINT/SIGTERM stop it gracefully: no new tasks are taken and running activities get time to
finish; Temporal hands anything unfinished to the next worker.

Operations (each off unless set; see service/config.py): Prometheus metrics on
WAYPOINT_METRICS_ADDRESS (service/metrics.py), /healthz and /healthz/ready on
WAYPOINT_HEALTH_ADDRESS (service/health.py), JSON log lines in WAYPOINT_LOG_DIR
(service/logs.py), traces to OTEL_EXPORTER_OTLP_ENDPOINT (service/tracing.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import zoneinfo
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Interceptor, Worker

from activities.delivery import DeliveryActivities
from domain.case_file import Channel
from messaging.delivery_contract import Sender
from messaging.outbox import Outbox, OutboxSender
from messaging.ledger import make_engine
from messaging.links import CaseLinks, LinkBook
from messaging.provider_config import senders_for
from messaging.render import Renderer
from service.client import connect
from service.config import STICKY_QUEUE_TIMEOUT, Settings
from service import tracing
from service.health import HealthServer, ledger_check, polling_check, temporal_check
from service.logs import configure
from service.metrics import ServiceMetrics, runtime_with_metrics
from workflows.journey import JourneyWorkflow
from workflows.sandbox import journey_runner

log = logging.getLogger("waypoint.worker")


def outbox_senders(settings: Settings) -> dict[Channel, Sender]:
    outbox = OutboxSender(Outbox(settings.outbox_dir))
    return {Channel.EMAIL: outbox, Channel.SMS: outbox}


def case_links(settings: Settings, link_key: bytes | None = None) -> CaseLinks:
    """An organisation's portal when WAYPOINT_CASE_LINK_BASE is set, else the family page (with a
    ledger, each message's link comes from its key, so a retried delivery carries the same one)."""
    if settings.case_link_base:
        return CaseLinks(settings.case_link_base)
    family = settings.family
    return CaseLinks(None, LinkBook(make_engine(family.database_url.get_secret_value())), family.link_base, family.link_valid_for,
                     token_key=link_key)


def build_worker(client: Client, settings: Settings, senders: dict[Channel, Sender] | None = None,
                 interceptors: list[Interceptor] | None = None, link_key: bytes | None = None) -> Worker:
    renderer = Renderer(sender_name=settings.sender_name)
    deliveries = DeliveryActivities(renderer, senders or outbox_senders(settings), case_links(settings, link_key))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[JourneyWorkflow],
        workflow_runner=journey_runner(),
        activities=[deliveries.deliver_message],
        graceful_shutdown_timeout=timedelta(seconds=20),
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        interceptors=interceptors or [],
    )


def packaged_zones_only() -> None:
    """Time zones from the pinned tzdata package only, never the system's zone files: quiet
    hours and reminder times are computed in the workflow, and a replay must compute them from
    the same zone data (scripts set PYTHONTZPATH="" too; this holds when they are bypassed)."""
    if zoneinfo.TZPATH:
        zoneinfo.reset_tzpath(to=())


async def main() -> None:
    packaged_zones_only()
    try:
        settings = Settings.from_env()
    except ValueError as err:  # names the variable, never its value
        configure("INFO")
        log.error("configuration: %s", err)
        raise SystemExit(2) from None
    log_file = configure(settings.log_level, log_dir=settings.log_dir, process_name=settings.process_name)
    try:
        senders, ledger = senders_for(settings.delivery, OutboxSender(Outbox(settings.outbox_dir)))
    except ValueError as err:  # names the variable, never a secret
        log.error("configuration: %s", err)
        raise SystemExit(2) from None
    tracer = tracing.configure(settings.otlp_endpoint, settings.process_name)
    runtime = runtime_with_metrics(settings.metrics_address)
    client = await connect(settings, runtime=runtime, interceptors=tracing.client_interceptors(tracer))
    metrics = ServiceMetrics((runtime or Runtime.default()).metric_meter)
    link_key = ledger.derived_key("family-links") if ledger is not None else None
    worker = build_worker(client, settings, senders, interceptors=[metrics.interceptor()], link_key=link_key)
    channels = ", ".join(f"{c.value} via {type(s).__name__}" for c, s in senders.items())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    checks = {"temporal": temporal_check(client), "polling": polling_check(client, settings.task_queue)}
    if ledger is not None:
        checks["ledger"] = ledger_check(ledger)
    health = HealthServer(checks, alive=lambda: not stop.is_set())
    if settings.health_address:
        await health.start(settings.health_address)
    gauges = asyncio.create_task(metrics.refresh_forever(client, ledger)) if settings.metrics_address else None
    log.info("worker %s polling task queue %s (%s; outbox: %s; metrics %s; health %s; log file %s)",
             settings.process_name, settings.task_queue, channels, settings.outbox_dir,
             settings.metrics_address or "off", settings.health_address or "off", log_file or "off")
    try:
        async with worker:
            if settings.ready_file:  # `make run` prints "running" once this exists: the worker is polling
                settings.ready_file.write_text("polling\n")
            await stop.wait()
            log.info("shutting down: finishing in-flight work")
    finally:
        if gauges is not None:
            gauges.cancel()
        await health.close()
        if ledger is not None:
            ledger.close()
        tracing.shutdown(tracer)
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
    # Skip interpreter teardown (temporalio/sdk-python#300): a clean stop must exit 0.
    logging.shutdown()
    os._exit(0)
