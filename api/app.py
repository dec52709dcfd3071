"""The HTTP process: JSON API, provider webhooks and the coordinator dashboard.

    python -m api.app          # serves on WAYPOINT_API_HOST:WAYPOINT_API_PORT (127.0.0.1:8000)

``create_app`` wires everything from explicit arguments (tests build it around their own
Temporal client); ``main`` reads the environment (see ``API_ENV``), connects with the one data
converter, and runs uvicorn. See docs/http-api.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping
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
from service.config import FAMILY_ENV, Settings
from service.journeys import Journeys

log = logging.getLogger("waypoint.api")

# Every variable the API process reads, besides the Temporal ones in service.config.
API_ENV = (
    "WAYPOINT_API_HOST",
    "WAYPOINT_API_PORT",
    "WAYPOINT_API_KEYS",
    "WAYPOINT_API_MAX_BODY_BYTES",
    "WAYPOINT_COORDINATORS",
    "WAYPOINT_SESSION_SECRET",
    "WAYPOINT_SESSION_STORE_URL",
    "TWILIO_AUTH_TOKEN",
    "RESEND_WEBHOOK_SECRET",
    *FAMILY_ENV,
)
DEFAULT_MAX_BODY_BYTES = 64 * 1024  # a case file is a few KB
CALL_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ApiSettings:
    keys: KeyRing
    webhooks: WebhookSettings
    coordinators: Any = None  # api.dashboard.accounts.Coordinators, when the dashboard is on
    session_secret: str | None = None
    session_store_url: str = "sqlite://"  # dashboard sessions; the default keeps them in memory
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    call_timeout: float = CALL_TIMEOUT_SECONDS
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ApiSettings":
        from api.dashboard.accounts import Coordinators  # noqa: PLC0415 - keeps imports light for tests

        public = (env.get("WAYPOINT_PUBLIC_BASE_URL") or "").strip() or None
        secret = (env.get("RESEND_WEBHOOK_SECRET") or "").strip()
        try:
            key = svix_key(secret) if secret else None
        except ValueError as err:
            raise ValueError(f"RESEND_WEBHOOK_SECRET: {err}") from None
        raw_limit = (env.get("WAYPOINT_API_MAX_BODY_BYTES") or "").strip()
        if raw_limit and not (raw_limit.isdigit() and 1024 <= int(raw_limit) <= 10 * 1024 * 1024):
            raise ValueError("WAYPOINT_API_MAX_BODY_BYTES must be a number of bytes between 1024 and 10485760")
        coordinators = Coordinators.from_env(env)
        session_secret = (env.get("WAYPOINT_SESSION_SECRET") or "").strip() or None
        if coordinators and (session_secret is None or len(session_secret) < 32):
            raise ValueError("WAYPOINT_SESSION_SECRET (at least 32 characters) is required when WAYPOINT_COORDINATORS is set")
        return cls(
            keys=KeyRing.from_env(env),
            webhooks=WebhookSettings(
                twilio_auth_token=(env.get("TWILIO_AUTH_TOKEN") or "").strip() or None,
                svix_key=key,
                public_base_url=public,
            ),
            coordinators=coordinators or None,
            session_secret=session_secret,
            session_store_url=(env.get("WAYPOINT_SESSION_STORE_URL") or "").strip() or "sqlite://",
            max_body_bytes=int(raw_limit) if raw_limit else DEFAULT_MAX_BODY_BYTES,
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


async def serve(env: Mapping[str, str]) -> None:
    import uvicorn  # noqa: PLC0415

    from messaging.provider_config import open_ledger  # noqa: PLC0415
    from service import tracing  # noqa: PLC0415
    from service.client import connect  # noqa: PLC0415

    settings = Settings.from_env({"WAYPOINT_PROCESS_NAME": "api", **env})
    api = ApiSettings.from_env(env)
    ledger = open_ledger(env)
    # The family page, unless messages send families to an organisation's own portal.
    family = None if settings.case_link_base else family_parts(settings.family)
    tracer = tracing.configure(settings.otlp_endpoint, settings.process_name)
    client = await connect(settings, interceptors=tracing.client_interceptors(tracer))
    app = create_app(settings, Journeys(client, settings.task_queue), ledger, api, family)
    tracing.instrument_api(app, tracer)
    host = env.get("WAYPOINT_API_HOST") or "127.0.0.1"
    port = int(env.get("WAYPOINT_API_PORT") or "8000")
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
        settings = Settings.from_env({"WAYPOINT_PROCESS_NAME": "api", **os.environ})
        configure(settings.log_level, log_dir=settings.log_dir, process_name=settings.process_name)
        asyncio.run(serve(os.environ))
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
