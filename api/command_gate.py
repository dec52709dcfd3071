"""Commands to one journey, one at a time from this process, and a short queue.

Temporal admits at most 10 updates in flight per workflow and refuses the rest; an update also
has to wait for the journey's workflow task anyway, so sending many at once gains nothing. The
gate lets ``parallel`` commands per journey through at a time and up to ``waiting`` more queue
for their turn; beyond that the caller is told at once that the journey is busy (429 with
Retry-After), as it is when Temporal's own limit is reached (api.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

RETRY_AFTER_SECONDS = 2


class JourneyBusyNow(Exception):
    """Too many commands for one journey at once: retry after ``RETRY_AFTER_SECONDS``."""


@dataclass
class _Lane:
    semaphore: asyncio.Semaphore
    users: int = 0  # running + waiting


@dataclass
class CommandGate:
    parallel: int = 1
    waiting: int = 32
    _lanes: dict[str, _Lane] = field(default_factory=dict)

    @asynccontextmanager
    async def turn(self, case_reference: str) -> AsyncIterator[None]:
        lane = self._lanes.get(case_reference)
        if lane is None:
            lane = self._lanes[case_reference] = _Lane(asyncio.Semaphore(self.parallel))
        if lane.users >= self.parallel + self.waiting:
            raise JourneyBusyNow(f"journey {case_reference} is busy with other commands; retry shortly")
        lane.users += 1
        try:
            async with lane.semaphore:
                yield
        finally:
            lane.users -= 1
            if lane.users == 0:
                self._lanes.pop(case_reference, None)
