"""What a worker tells Prometheus (``WAYPOINT_METRICS_ADDRESS``, path ``/metrics``).

One endpoint per worker, served by the Temporal SDK's runtime: the SDK's own metrics
(``temporal_workflow_task_execution_failed``, ``temporal_activity_execution_failed``,
``temporal_workflow_task_schedule_to_start_latency``, ...) and the service's, made with the same
meter:

- ``waypoint_messages{channel, event, outcome}`` (counter): each delivery attempt's outcome:
  ``sent``, ``duplicate`` (the key was already delivered: nothing sent), ``retrying`` (a
  passing fault; Temporal retries), ``failed`` (permanent: the coordinator is alerted).
- ``waypoint_message_decisions{channel, event, decision}`` (counter, from the journeys
  themselves, workflows/journey.py): ``deferred`` (went out later than planned: quiet hours, SMS
  caps), ``merged`` (folded into another SMS), ``skipped`` (no longer due, or capped with an
  e-mail twin). Carries the SDK's ``workflow_type``/``task_queue`` labels too.
- ``waypoint_ledger_deliveries{state}`` (gauge): ledger rows per state (``uncertain`` needs a
  person); ``waypoint_ledger_reachable`` 1/0.
- ``waypoint_journeys{stage}`` (gauge): running journeys per stage;
  ``waypoint_journeys_overdue``, ``waypoint_alerts_open`` (journeys needing attention).

The gauges are global figures (the ledger and Temporal's visibility), refreshed every
``GAUGE_INTERVAL`` by every worker: take ``max`` across workers, not ``sum``. Labels are codes
only (channel, event, stage, state): never a case reference or anything personal.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from domain.stages import Stage
from messaging.delivery_contract import DELIVER_MESSAGE, DeliveryRequest, DeliveryResult
from messaging.ledger import DeliveryState, Ledger
from workflows import search_attributes as sa
from service.config import GAUGE_INTERVAL
from service.journeys import Journeys

log = logging.getLogger(__name__)

def runtime_with_metrics(bind_address: str | None) -> Runtime | None:
    """A Temporal runtime serving Prometheus on ``bind_address`` (None: the default runtime)."""
    if not bind_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


class ServiceMetrics:
    def __init__(self, meter: MetricMeter) -> None:
        self.messages = meter.create_counter("waypoint_messages", "delivery attempts by channel, event and outcome")
        self.ledger_deliveries = meter.create_gauge("waypoint_ledger_deliveries", "ledger rows by state")
        self.ledger_reachable = meter.create_gauge("waypoint_ledger_reachable", "1 when the ledger answered")
        self.journeys = meter.create_gauge("waypoint_journeys", "running journeys by stage")
        self.overdue = meter.create_gauge("waypoint_journeys_overdue", "running journeys with an overdue step")
        self.alerts_open = meter.create_gauge("waypoint_alerts_open", "running journeys that need a coordinator")

    def message(self, request: DeliveryRequest, outcome: str) -> None:
        """Count one attempt's outcome, and log it with its key (case reference, event, sequence,
        role and channel: no personal data) so each worker's log tells what it delivered."""
        self.messages.add(1, {"channel": request.channel.value, "event": request.event.value, "outcome": outcome})
        log.info("delivery %s: %s", outcome, request.key)

    def interceptor(self) -> Interceptor:
        return _MessageOutcomes(self)

    async def refresh(self, client: Client, ledger: Ledger | None) -> None:
        """Read the ledger and Temporal's visibility once and set the gauges."""
        if ledger is not None:
            try:
                counts = await asyncio.to_thread(ledger.counts)
                for state in DeliveryState:
                    self.ledger_deliveries.set(counts.get(state.value, 0), {"state": state.value})
                self.ledger_reachable.set(1)
            except Exception as exc:  # noqa: BLE001 - a database outage is a figure, not a crash
                self.ledger_reachable.set(0)
                log.warning("ledger gauges not refreshed: %s", type(exc).__name__)
        for stage in Stage:
            if stage != Stage.CLOSED:
                count = await client.count_workflows(Journeys.listing_query(stage=stage))
                self.journeys.set(count.count, {"stage": stage.value})
        self.overdue.set((await client.count_workflows(Journeys.listing_query(overdue=True))).count)
        attention = f"{Journeys.listing_query()} AND {sa.NEEDS_ATTENTION.name} = true"
        self.alerts_open.set((await client.count_workflows(attention)).count)

    async def refresh_forever(self, client: Client, ledger: Ledger | None, interval: float = GAUGE_INTERVAL.total_seconds()) -> None:
        while True:
            try:
                await self.refresh(client, ledger)
            except Exception as exc:  # noqa: BLE001 - Temporal may be restarting: try again later
                log.warning("journey gauges not refreshed: %s", type(exc).__name__)
            await asyncio.sleep(interval)


class _MessageOutcomes(Interceptor):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountDeliveries(next, self.metrics)


class _CountDeliveries(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: ServiceMetrics) -> None:
        super().__init__(next)
        self.metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        request = input.args[0] if input.args else None
        if activity.info().activity_type != DELIVER_MESSAGE or not isinstance(request, DeliveryRequest):
            return await super().execute_activity(input)
        try:
            result = await super().execute_activity(input)
        except ApplicationError as err:
            self.metrics.message(request, "failed" if err.non_retryable else "retrying")
            raise
        except BaseException:
            self.metrics.message(request, "retrying")
            raise
        duplicate = isinstance(result, DeliveryResult) and result.duplicate
        self.metrics.message(request, "duplicate" if duplicate else "sent")
        return result
