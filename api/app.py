"""The HTTP process: JSON API, provider webhooks and the coordinator dashboard.

    python -m api.app          # serves on WAYPOINT_API_HOST:WAYPOINT_API_PORT (127.0.0.1:8000)

``create_app`` wires everything from explicit arguments (tests build it around their own
Temporal client); ``main`` reads the one ``Settings`` (service/config.py), connects with the one
data converter, and runs uvicorn. See docs/http-api.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from api import errors
from api.access_log import AccessLog
from api.command_gate import CommandGate
from api.docs import install as install_docs
from api.headers import SecurityHeaders
from api.family import FamilyParts, family_parts
from api.guards import ApiKeyGuard, BodyLimit
from api.health_routes import router as health_router
from api.journey_routes import router as journey_router
from api.keys import KeyRing
from api.signatures import svix_key
from api.webhooks import WebhookSettings
from api.webhooks import router as webhook_router
from messaging.ledger import Ledger
from service.config import ConfigurationError, HttpSettings, Settings, revealed
from service.journeys import Journeys

log = logging.getLogger("waypoint.api")

CALL_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ApiSettings:
    """What ``create_app`` is wired with, built from the one ``Settings`` by ``from_settings``."""

    keys: KeyRing
    webhooks: WebhookSettings
    coordinators: Any = None  # api.dashboard.accounts.Coordinators, when the dashboard is on
    session_secret: str | None = None
    session_store_url: str = "sqlite://"  # dashboard sessions; the default keeps them in memory
    max_body_bytes: int = HttpSettings.model_fields["max_body_bytes"].default
    call_timeout: float = CALL_TIMEOUT_SECONDS
    secure_cookies: bool = False

    def __repr__(self) -> str:  # the session secret and store URL never show
        return f"ApiSettings(keys={self.keys!r}, webhooks={self.webhooks!r}, dashboard={bool(self.coordinators)})"

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiSettings":
        """Parses the keys, accounts and webhook secret; a problem names its variable, never a value."""
        from api.dashboard.accounts import Coordinators  # noqa: PLC0415 - keeps imports light for tests

        http, family = settings.http, settings.family
        public = family.public_base_url if family.public_base_url_given else None
        secret = revealed(http.resend_webhook_secret)
        try:
            key = svix_key(secret) if secret else None
        except ValueError as err:
            raise ConfigurationError(f"RESEND_WEBHOOK_SECRET: {err}") from None
        coordinators = Coordinators.load(revealed(http.coordinators))
        return cls(
            keys=KeyRing.load(http.api_keys),
            webhooks=WebhookSettings(
                twilio_auth_token=revealed(settings.delivery.twilio_auth_token) or None,
                svix_key=key,
                public_base_url=public,
            ),
            coordinators=coordinators or None,
            session_secret=revealed(http.session_secret) or None,
            session_store_url=http.session_store_url.get_secret_value(),
            max_body_bytes=http.max_body_bytes,
            secure_cookies=bool(public and public.startswith("https://")),
        )


def create_app(settings: Settings, journeys: Journeys, ledger: Ledger | None, api: ApiSettings,
               family: FamilyParts | None = None) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # served by api.docs from a package, never from a CDN
        redoc_url=None,
        title="Waypoint Journeys",
        version="1.0.0",
        description="Start, read and steer families' journeys toward treatment abroad. "
        "Every /journeys request needs an API key in the X-API-Key header.",
    )
    app.state.settings = settings
    app.state.journeys = journeys
    app.state.ledger = ledger
    app.state.webhooks = api.webhooks
    app.state.api_keys = api.keys  # the inbound e-mail webhook is called with an API key
    app.state.call_timeout = api.call_timeout
    app.state.command_gate = CommandGate()  # one command per journey at a time from this process
    errors.install(app)
    install_docs(app)
    app.include_router(journey_router)
    app.include_router(webhook_router)
    app.include_router(health_router)
    if api.coordinators:
        from api.dashboard.routes import install as install_dashboard  # noqa: PLC0415
        from api.dashboard.session_store import SessionStore  # noqa: PLC0415

        install_dashboard(app, api.coordinators, api.session_secret or "", secure_cookies=api.secure_cookies,
                          store=SessionStore(api.session_store_url))
    if family is not None:
        from api.family.downloads import install as install_downloads  # noqa: PLC0415
        from api.family.routes import install as install_family  # noqa: PLC0415

        install_family(app, family.settings, family.links, family.documents, journeys)
        if api.coordinators:
            install_downloads(app, family.links, family.documents)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/dashboard/" if api.coordinators else "/docs")

    # Outermost first: the key is checked before the body is read or its size is known.
    app.add_middleware(BodyLimit, max_bytes=api.max_body_bytes)
    app.add_middleware(ApiKeyGuard, keys=api.keys)
    app.add_middleware(SecurityHeaders, https=api.secure_cookies)  # on every answer, refusals included
    app.add_middleware(AccessLog)
    return app


async def serve(settings: Settings) -> None:
    import uvicorn  # noqa: PLC0415

    from messaging.provider_config import open_ledger  # noqa: PLC0415
    from service import tracing  # noqa: PLC0415
    from service.client import connect  # noqa: PLC0415

    api = ApiSettings.from_settings(settings)
    ledger = open_ledger(settings.delivery)
    # The family page, unless messages send families to an organisation's own portal.
    family = None if settings.case_link_base else family_parts(settings.family)
    tracer = tracing.configure(settings.otlp_endpoint, settings.process_name)
    client = await connect(settings, interceptors=tracing.client_interceptors(tracer))
    app = create_app(settings, Journeys(client, settings.task_queue), ledger, api, family)
    tracing.instrument_api(app, tracer)
    host, port = settings.http.host, settings.http.port
    log.info("API on http://%s:%d (%d API key(s), dashboard %s, family page %s, Twilio webhooks %s, Resend webhooks %s)",
             host, port, len(api.keys.hashes), "on" if api.coordinators else "off",
             f"on ({family.documents.objects.describe()})" if family else "off (WAYPOINT_CASE_LINK_BASE)",
             "on" if api.webhooks.twilio_auth_token else "off", "on" if api.webhooks.svix_key else "off")
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(),
                            proxy_headers=False, server_header=False, access_log=False)  # api.access_log instead
    try:
        await uvicorn.Server(config).serve()
    finally:
        tracing.shutdown(tracer)


def main() -> int:
    from service.logs import configure  # noqa: PLC0415

    try:
        settings = Settings.for_process("api")
        configure(settings.log_level, log_dir=settings.log_dir, process_name=settings.process_name)
        asyncio.run(serve(settings))
    except ValueError as err:  # configuration: names the variable, never its value
        log.error("configuration: %s", err)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # see starter.exit_now: the Temporal client's threads can outlive the loop
