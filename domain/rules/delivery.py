"""Providers' later word on a message, and what a failed delivery sets off."""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    DeliveryReport,
    DeliveryStatus,
)
from domain.notices import fall_back
from domain.rules.effects import log, raise_alert
from domain.state import (
    AlertKind,
    JourneyState,
    Message,
    MessageEvent,
)


def apply_delivery_report(state: JourneyState, report: DeliveryReport, now: datetime) -> None:
    """A provider's later word on a message. A failed family message alerts the coordinator and
    falls back to the recipient's other channel."""
    message = next((m for m in state.messages if m.key == report.key), None)
    if message is None:
        log(state, now, "delivery_report_unmatched", status=report.status.value)
        return
    if message.delivery == report.status.value:
        return  # providers repeat callbacks
    message.delivery, message.delivery_at = report.status.value, now
    if report.status != DeliveryStatus.DELIVERED and not state.closed:
        message.outcome = f"{report.status.value}{' (' + report.provider_code + ')' if report.provider_code else ''}"
        if message.event != MessageEvent.COORDINATOR_ALERT:
            delivery_failed(state, message, now)


def delivery_failed(state: JourneyState, message: Message, now: datetime) -> None:
    """A message could not be delivered for good: tell the coordinator, try the other channel."""
    log(state, now, "delivery_failed", recipient=message.recipient, channel=message.channel.value)
    fallback = fall_back(state, message, now)
    raise_alert(
        state,
        now,
        AlertKind.DELIVERY_FAILED,
        failed_event=message.event.value,
        failed_recipient=message.recipient,
        failed_channel=message.channel.value,
        failure=message.outcome or "unknown",
        fallback=fallback.channel.value if fallback else "none",
    )
