"""Tracing across API -> Temporal -> journey -> delivery activity -> provider (OpenTelemetry).

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (e.g. ``http://127.0.0.1:4318``): then spans are
exported over OTLP/HTTP to ``<endpoint>/v1/traces``, named by service (``waypoint-<process>``).
The Temporal interceptor (``temporalio.contrib.opentelemetry``) carries the trace through
workflow and activity headers; httpx calls (Twilio, Resend) and FastAPI requests get spans of
their own. Span attributes are ids and codes only: workflow ids are ``journey-<case reference>``,
provider URLs are recorded without their query (Twilio's lookup asks by phone number), and
request bodies, addresses and message text are never recorded.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from temporalio.client import Interceptor

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger(__name__)


def configure(endpoint: str | None, process_name: str) -> TracerProvider | None:
    """Install a tracer provider exporting to ``endpoint``; None (and nothing installed) without one."""
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415 - only when on
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    provider = TracerProvider(resource=Resource.create({"service.name": f"waypoint-{process_name}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, request_hook=_url_without_query,
                                         async_request_hook=_async_url_without_query)
    log.info("tracing: spans exported over OTLP/HTTP")
    return provider


def _url_without_query(span: Any, request: Any) -> None:
    """A provider call's URL without its query (Twilio's message lookup asks by phone number)."""
    if span is not None and span.is_recording():
        import httpx  # noqa: PLC0415

        clean = str(httpx.URL(str(request.url)).copy_with(query=None))
        span.set_attribute("http.url", clean)
        span.set_attribute("url.full", clean)


async def _async_url_without_query(span: Any, request: Any) -> None:
    _url_without_query(span, request)


def client_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """For ``Client.connect``: the worker picks client interceptors up too."""
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor  # noqa: PLC0415

    return [TracingInterceptor(provider.get_tracer("waypoint.temporal"))]


def instrument_api(app: FastAPI, provider: TracerProvider | None) -> None:
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz")


def shutdown(provider: TracerProvider | None) -> None:
    """Flush spans still buffered and stop tracing httpx (a clean stop)."""
    if provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415

    HTTPXClientInstrumentor().uninstrument()
    provider.shutdown()
