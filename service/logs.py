"""Log setup. Our own log lines carry case references, codes and ids only, never names,
addresses, phone numbers or medical detail."""

from __future__ import annotations

import logging


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs full request URLs at INFO; keep them out of the way.
    logging.getLogger("httpx").setLevel(logging.WARNING)
