"""What an operator sees of a worker, on the dev server with the local Twilio and Resend servers:
its Prometheus figures, its health, its JSON log lines, and a journey's trace from the start call
through the delivery activity to the provider's HTTP call, none of them carrying personal data."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.state import MessageStatus
from messaging.outbox import OutboxSender
from messaging.outbox import Outbox
from messaging.provider_config import senders_for
from service.config import DeliverySettings
from service import logs, tracing
from service.config import Settings
from service.health import HealthServer, ledger_check, polling_check, temporal_check
from service.journeys import Journeys
from service.metrics import ServiceMetrics, runtime_with_metrics
from tests.conftest import make_case
from tests.support.fake_providers import FakeResend, FakeTwilio, delivery_environment, fake_resend, fake_twilio, wait_for  # noqa: F401
from worker import build_worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Collector:
    """A local OTLP/HTTP receiver: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, bytes, dict[str, str]]] = []  # (name, trace id, attributes)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            attributes = {a.key: str(a.value) for a in span.attributes}
                            collector.spans.append((span.name, span.trace_id, attributes))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()


@pytest_asyncio.fixture
async def keep_logging() -> AsyncIterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def personal(case) -> list[str]:  # noqa: ANN001
    guardian = case.guardians[0]
    return [guardian.name, str(guardian.email), str(guardian.phone), str(guardian.phone).lstrip("+")]


async def test_a_workers_metrics_health_and_logs_while_a_journey_sends(
    dev_env: WorkflowEnvironment, settings: Settings, tmp_path: Path, fake_twilio: FakeTwilio,  # noqa: F811
    fake_resend: FakeResend, keep_logging: None,  # noqa: F811
) -> None:
    log_file = logs.configure("INFO", log_dir=tmp_path / "logs", process_name="worker-7")
    metrics_address = f"127.0.0.1:{free_port()}"
    runtime = runtime_with_metrics(metrics_address)
    assert runtime is not None
    client = await Client.connect(dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace,
                                  data_converter=dev_env.client.data_converter, runtime=runtime)
    senders, ledger = senders_for(DeliverySettings.from_env(delivery_environment(fake_twilio, fake_resend, tmp_path / "ledger.sqlite")),
                                       OutboxSender(Outbox(settings.outbox_dir)))
    assert ledger is not None
    metrics = ServiceMetrics(runtime.metric_meter)
    health_address = f"127.0.0.1:{free_port()}"
    health = HealthServer({"temporal": temporal_check(client), "polling": polling_check(client, settings.task_queue),
                           "ledger": ledger_check(ledger)})
    await health.start(health_address)
    nobody = HealthServer({"polling": polling_check(client, settings.task_queue + "-no-worker")})
    nobody_address = f"127.0.0.1:{free_port()}"
    await nobody.start(nobody_address)
    # One SMS a day: the first reminder's SMS (3 s later) is dropped for its e-mail twin.
    case = make_case(policy={"chase": {"first_reminder_after": "PT3S", "reminder_interval": "PT1H",
                                       "escalate_after_reminders": 3, "records_deadline": "PT10M"},
                             "sms_caps": {"per_day": 1, "per_week": 7}})
    journeys = Journeys(client, settings.task_queue)
    try:
        async with build_worker(client, settings, senders, interceptors=[metrics.interceptor()]):
            await journeys.start(case)
            for _ in range(60):
                messages = await journeys.messages(case.case_reference)
                if any(m.status == MessageStatus.SKIPPED and "SMS cap" in (m.outcome or "") for m in messages):
                    break
                await asyncio.sleep(0.5)
            else:
                pytest.fail("the reminder's SMS was not dropped for the cap")
            await asyncio.sleep(1)
            await metrics.refresh(client, ledger)
            async with httpx.AsyncClient(timeout=10) as http:
                scraped = (await http.get(f"http://{metrics_address}/metrics")).text
                live = await http.get(f"http://{health_address}/healthz")
                for _ in range(40):  # the dev server lists a poller once it has polled
                    ready = await http.get(f"http://{health_address}/healthz/ready")
                    if ready.status_code == 200:
                        break
                    await asyncio.sleep(0.5)
                not_ready = await http.get(f"http://{nobody_address}/healthz/ready")
            await journeys.handle(case.case_reference).terminate(reason="test finished")
    finally:
        await health.close()
        await nobody.close()
        ledger.close()

    sent = [line for line in scraped.splitlines() if line.startswith("waypoint_messages{") and 'outcome="sent"' in line]
    assert any('channel="sms"' in line and 'event="record_request"' in line for line in sent), scraped[:3000]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in sent) >= 2
    skipped = [line for line in scraped.splitlines()
               if line.startswith("waypoint_message_decisions{") and 'decision="skipped"' in line and 'channel="sms"' in line]
    assert skipped and not skipped[0].endswith(" 0"), "the capped SMS is counted as skipped by the journey"
    assert 'waypoint_ledger_deliveries{' in scraped and 'state="sent"' in scraped
    assert any(line.startswith("waypoint_journeys{") and 'stage="remote_review"' in line and not line.endswith(" 0")
               for line in scraped.splitlines()), "the running journey is counted in its stage"
    assert "temporal_workflow_task_execution_failed" in scraped or "temporal_request" in scraped

    assert live.status_code == 200 and live.json() == {"status": "alive"}
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"temporal": "ok", "polling": "ok", "ledger": "ok"}
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"] == {"polling": "failed: LookupError"}

    assert log_file is not None and log_file.exists()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    delivered = [line for line in lines if line["message"].startswith("delivery sent: ")]
    assert delivered, "each delivery's outcome is logged"
    first = delivered[0]
    assert first["journey"] == f"journey-{case.case_reference}" and first["activity"] == "deliver-message"
    assert first["attempt"] == 1 and first["process"] == "worker-7" and first["run"]
    text = log_file.read_text()
    assert not [p for p in personal(case) if p in text], "no personal data in the log file"

    # A restart appends to the same file: nothing written before is lost.
    logs.configure("INFO", log_dir=tmp_path / "logs", process_name="worker-7")
    logging.getLogger("waypoint.worker").info("restarted")
    after = log_file.read_text()
    assert after.startswith(text) and json.loads(after.splitlines()[-1])["message"] == "restarted"


async def test_tracing_is_off_unless_an_endpoint_is_configured() -> None:
    assert tracing.configure(None, "worker") is None
    assert tracing.configure("", "worker") is None
    assert tracing.client_interceptors(None) == []
    assert runtime_with_metrics(None) is None  # and no metrics endpoint without an address


async def test_a_journeys_trace_runs_from_the_start_call_to_the_providers_http_call(
    dev_env: WorkflowEnvironment, settings: Settings, tmp_path: Path, fake_twilio: FakeTwilio,  # noqa: F811
    fake_resend: FakeResend, collector: Collector,  # noqa: F811
) -> None:
    provider = tracing.configure(collector.url, "worker")
    assert provider is not None
    try:
        config = dev_env.client.config()
        config["interceptors"] = tracing.client_interceptors(provider)
        client = Client(**config)
        senders, ledger = senders_for(DeliverySettings.from_env(delivery_environment(fake_twilio, fake_resend, tmp_path / "ledger.sqlite")),
                                           OutboxSender(Outbox(settings.outbox_dir)))
        assert ledger is not None
        case = make_case()
        journeys = Journeys(client, settings.task_queue)
        try:
            async with build_worker(client, settings, senders):
                await journeys.start(case)
                assert await asyncio.to_thread(wait_for, lambda: len(fake_twilio.messages) >= 1, 30)
                await asyncio.sleep(1)
                await journeys.handle(case.case_reference).terminate(reason="test finished")
        finally:
            ledger.close()
    finally:
        tracing.shutdown(provider)  # flushes every span to the collector

    names = {name for name, _, _ in collector.spans}
    start = [t for name, t, _ in collector.spans if name.startswith("StartWorkflow:")]
    assert start, f"no StartWorkflow span among {sorted(names)}"
    trace = {name for name, t, _ in collector.spans if t == start[0]}
    assert any(n.startswith("RunWorkflow:") for n in trace), sorted(trace)
    assert any(n == "RunActivity:deliver-message" for n in trace), sorted(trace)
    assert "POST" in trace or any(n.startswith("POST") for n in trace), f"the provider call is in the trace: {sorted(trace)}"
    everything = json.dumps([(n, a) for n, _, a in collector.spans], ensure_ascii=False)
    assert not [p for p in personal(case) if p in everything], "no personal data in span names or attributes"
