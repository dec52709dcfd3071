"""A codec server, so the Temporal web UI and CLI can show decrypted payloads to authorised
people only. Payloads never leave the server side decrypted except to a caller with a token.

    WAYPOINT_PAYLOAD_KEYS=... WAYPOINT_CODEC_TOKENS=<sha256 hex of a token>[,...] \\
    WAYPOINT_CODEC_CORS_ORIGINS=http://127.0.0.1:8233 python -m service.codec_server

Endpoints follow Temporal's remote codec protocol: ``POST /decode`` and ``POST /encode`` with a
JSON body ``{"payloads": [...]}`` (payloads in protobuf JSON form). Callers send
``Authorization: Bearer <token>``; tokens are stored as SHA-256 hashes and compared in constant
time. CORS is open only to the configured UI origins.

The Temporal UI of a dev server cannot send a bearer token of its own, so the same endpoints are
also served under ``/ui/<token>/`` and the UI is given that URL as its codec endpoint (`make
run` does this with the local token from ``service.local_keys``). The access log is off, so the
token never lands in a log. A payload that does not open (tampered, truncated, another key)
is answered 422.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from service.codec import EncryptionCodec, payload_codec
from service.config import CodecSettings, ConfigurationError, Settings

MAX_BODY = 4 * 1024 * 1024
log = logging.getLogger("waypoint.codec")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_app(codec: EncryptionCodec, token_hashes: Sequence[str], cors_origins: Sequence[str]) -> FastAPI:
    app = FastAPI(title="Waypoint codec server", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(cors_origins),
        allow_credentials=True,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )
    hashes = [h.lower() for h in token_hashes]

    def authorise(request: Request, path_token: str | None = None) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if path_token is None and scheme.lower() == "bearer":
            path_token = token.strip()
        presented = token_hash(path_token) if path_token else ""
        found = [hmac.compare_digest(presented, h) for h in hashes] if presented else []
        if not any(found):
            raise HTTPException(status_code=401, detail="a valid bearer token is required")

    async def payloads_of(request: Request) -> list[Payload]:
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="body too large")
        try:
            return list(json_format.Parse(body, Payloads()).payloads)
        except json_format.ParseError:
            raise HTTPException(status_code=400, detail="body must be {\"payloads\": [...]}") from None

    async def answer(payloads: list[Payload]) -> JSONResponse:
        return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))

    async def decoded(request: Request) -> JSONResponse:
        try:
            return await answer(await codec.decode(await payloads_of(request)))
        except (ValueError, InvalidTag):
            raise HTTPException(status_code=422, detail="a payload could not be decrypted with the configured keys") from None

    @app.post("/decode")
    async def decode(request: Request) -> JSONResponse:
        authorise(request)
        return await decoded(request)

    @app.post("/encode")
    async def encode(request: Request) -> JSONResponse:
        authorise(request)
        return await answer(await codec.encode(await payloads_of(request)))

    @app.post("/ui/{token}/decode", include_in_schema=False)
    async def ui_decode(request: Request, token: str) -> JSONResponse:
        authorise(request, token)
        return await decoded(request)

    @app.post("/ui/{token}/encode", include_in_schema=False)
    async def ui_encode(request: Request, token: str) -> JSONResponse:
        authorise(request, token)
        return await answer(await codec.encode(await payloads_of(request)))

    return app


def app_from_settings(settings: CodecSettings) -> FastAPI:
    """The codec server for the payload keys and tokens configured (service/config.py)."""
    codec = payload_codec(settings.payload_keys)
    if codec is None:
        raise ConfigurationError("WAYPOINT_PAYLOAD_KEYS is not set: there is nothing to decode")
    hashes = list(settings.token_hashes)
    if settings.local_token is not None:  # the local token of `make run` (service.local_keys)
        hashes.append(token_hash(settings.local_token.get_secret_value()))
    if not hashes:
        raise ConfigurationError("WAYPOINT_CODEC_TOKENS (SHA-256 hashes of bearer tokens) is not set")
    return create_app(codec, hashes, settings.cors_origins)


def main() -> int:
    import uvicorn  # noqa: PLC0415

    from service.logs import configure  # noqa: PLC0415

    try:
        settings = Settings.for_process("codec")
        configure(settings.log_level, log_dir=settings.log_dir, process_name=settings.process_name)
        app = app_from_settings(settings.codec)
    except ValueError as err:  # names the variable, never its value
        log.error("configuration: %s", err)
        return 2
    uvicorn.run(app, host=settings.codec.host, port=settings.codec.port, access_log=False, server_header=False,
                log_level=settings.log_level.lower())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
