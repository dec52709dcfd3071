"""Waiting for something that happens asynchronously (a worker, a signal, a provider call)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(check: Callable[[], Any | Awaitable[Any]], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy, and return that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(interval)
