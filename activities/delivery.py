"""The one boundary through which a journey speaks: render a message and hand it to a channel.

Every send carries the idempotency key the workflow computed from the business event; a
channel that finds the key already delivered reports a duplicate and sends nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.case_file import Channel
from messaging.delivery_contract import (
    DELIVER_MESSAGE,
    DELIVERY_RETRY,
    DeliveryRequest,
    DeliveryResult,
    Sender,
)
from messaging.links import CaseLinks
from messaging.providers.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.render import Renderer, SmsTooLong, TemplateProblem

log = logging.getLogger(__name__)


# The workflow's own retry policy, so a provider's Retry-After can lengthen the wait but never
# turn backoff into hammering a provider that is rate limiting us.
BACKOFF_START = DELIVERY_RETRY.initial_interval.total_seconds()
BACKOFF_FACTOR = DELIVERY_RETRY.backoff_coefficient
BACKOFF_MAX = (DELIVERY_RETRY.maximum_interval or DELIVERY_RETRY.initial_interval).total_seconds()


def retry_delay(attempt: int, retry_after_seconds: float | None) -> timedelta | None:
    if not retry_after_seconds:
        return None  # the retry policy's own backoff
    backoff = min(BACKOFF_START * BACKOFF_FACTOR ** max(attempt - 1, 0), BACKOFF_MAX)
    return timedelta(seconds=max(retry_after_seconds, backoff))


class DeliveryActivities:
    def __init__(self, renderer: Renderer, senders: dict[Channel, Sender], links: CaseLinks | None = None) -> None:
        self.renderer = renderer
        self.senders = senders
        self.links = links  # None: the renderer's own case link base (tests of rendering)

    @activity.defn(name=DELIVER_MESSAGE)
    async def deliver_message(self, request: DeliveryRequest) -> DeliveryResult:
        link = None
        if self.links is not None:  # each message to a guardian carries a fresh link (renewed access)
            link = await asyncio.to_thread(
                self.links.link, request.case_reference, request.recipient, request.language, request.channel.value,
                request.key)
        try:
            message = self.renderer.render(request, link)
        except SmsTooLong as exc:
            # Not even the short form fits two segments: the workflow sends it by e-mail instead
            # and tells the coordinator, as for any permanent failure of a channel.
            raise ApplicationError(str(exc), type="sms_too_long", non_retryable=True) from None
        except TemplateProblem as exc:
            # A code/template defect, not a passing fault: retrying cannot fix it.
            raise ApplicationError(str(exc), type="TemplateProblem", non_retryable=True) from None
        sender = self.senders.get(request.channel)
        if sender is None:
            raise ApplicationError(
                f"no sender configured for channel {request.channel.value}", type="ChannelNotConfigured", non_retryable=True
            )
        try:
            reference, duplicate = await sender.send(request, message)
        except PermanentDeliveryError as exc:
            log.warning(
                "permanent delivery failure %s %s to %s by %s: %s",
                request.case_reference, request.event.value, request.recipient, request.channel.value, exc.kind.value,
            )
            raise ApplicationError(exc.kind.value, type=exc.kind.value, non_retryable=True) from None
        except TransientDeliveryError as exc:
            log.info(
                "transient delivery failure %s %s to %s by %s (will retry)",
                request.case_reference, request.event.value, request.recipient, request.channel.value,
            )
            raise ApplicationError(
                "provider temporarily unavailable",
                type="TransientDelivery",
                next_retry_delay=retry_delay(activity.info().attempt, exc.retry_after_seconds),
            ) from None
        log.info(
            "delivered %s %s to %s by %s%s",
            request.case_reference,
            request.event.value,
            request.recipient,
            request.channel.value,
            " (already delivered earlier)" if duplicate else "",
        )
        return DeliveryResult(key=request.key, reference=reference, duplicate=duplicate, language=message.language)
