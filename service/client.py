"""One data converter and one way to connect, for worker, starter, tests and replayer alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.envconfig import ClientConfigProfile
from temporalio.runtime import Runtime

from service.codec import payload_codec
from service.config import Settings

DEFAULT_ADDRESS = "localhost:7233"


def data_converter(codec: PayloadCodec | None = None) -> DataConverter:
    """Pydantic payloads everywhere; a payload codec (encryption) plugs in here."""
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


async def connect(settings: Settings | None = None, target_host: str | None = None, *, runtime: Runtime | None = None,
                  interceptors: Sequence[Interceptor] = ()) -> Client:
    """Connect using temporalio.envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
    TEMPORAL_TLS_*, TEMPORAL_PROFILE / config file), defaulting to the local dev server; payloads
    are encrypted when WAYPOINT_PAYLOAD_KEYS is set. ``runtime`` carries a worker's metrics
    endpoint (service/metrics.py); ``interceptors`` its tracing (service/tracing.py)."""
    settings = settings or Settings.from_env()
    profile = ClientConfigProfile.load(profile=settings.temporal_profile)
    config: dict[str, Any] = dict(profile.to_client_connect_config())
    if target_host:
        config["target_host"] = target_host
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return await Client.connect(**config, data_converter=data_converter(payload_codec(settings.codec.payload_keys)), runtime=runtime,
                                interceptors=list(interceptors))
