"""Exactly-once delivery (as close as providers allow) on top of the delivery ledger.

``LedgeredSender`` wraps a provider (``TwilioSms``, ``ResendEmail``, ``SmtpEmail``: anything with
``async send(request, message) -> provider_id``) and implements the activity's ``Sender``
protocol. Temporal retries an activity after timeouts and crashes, so the same key can arrive
many times; the ledger (``messaging.ledger``) remembers what each key got:

1. ``begin(key)``; state ``sent`` -> return ``(provider_id, duplicate=True)``, provider untouched.
2. State ``attempting``/``uncertain`` (an earlier attempt whose outcome is unknown):

   - idempotent provider (Resend): send again with the same key; the provider returns the
     first id instead of sending twice. Beyond its key window (23 h, Resend keeps 24 h) this is
     no longer safe: UNCERTAIN.
   - provider with ``find_sent`` (Twilio): wait until the last attempt is at least
     ``settle_seconds`` old (it may still be in flight in another worker: until then a
     TransientDeliveryError asks Temporal to come back), then list the messages to the number
     since the first unresolved attempt (``pending_since``). Found -> ``sent``, duplicate. Not
     found after a complete listing -> resend. We take "not found" as good evidence: Twilio
     creates the Message resource (and its SID) before it answers the POST, so a message it
     accepted is listed; what is not listed was not accepted. (A row already ``uncertain`` is
     only ever resolved by finding the message, never resent.)
   - otherwise (SMTP: nothing to ask): mark ``uncertain`` and raise
     ``PermanentDeliveryError(UNCERTAIN)``. For a family, at most once beats twice; the
     workflow alerts the coordinator.
   - an earlier attempt through a *different* provider (configuration changed): UNCERTAIN.

3. Otherwise claim the key (``attempting``, compare-and-set on the attempt count, so two
   workers cannot both call the provider) and call the provider; on success record ``sent``
   immediately and return ``duplicate=False`` (also when Resend merely replayed an earlier
   attempt's answer: it does not say which). A TransientDeliveryError with ``not_sent`` True
   (429, 5xx, refused connection) or a PermanentDeliveryError -> ``released`` (back to
   ``reserved``: resending is safe), unless an earlier unresolved attempt may have delivered
   (then the row stays ``attempting``, keeping the start of Resend's key window). A timeout or
   broken connection mid-request (``not_sent`` False) or any unexpected exception leaves
   ``attempting`` for step 2 to resolve. Errors are re-raised for the activity.

Recipients' addresses are remembered as HMAC hashes (``remember_contact``) to route replies.

Remaining duplicate window: for Twilio, a message accepted by Twilio whose Message resource is
not (yet) visible in the listing after ``settle_seconds``, or older than the lookup window
(``find_sent`` reads at most a few pages), or altered by Twilio (e.g. a body rewritten by smart
encoding) would be sent again. For Resend, an attempt left ``attempting`` and resolved after
Resend forgot the key is reported UNCERTAIN instead (no duplicate, maybe no message). For all
providers, a crash after the provider accepted and before ``sent`` was written is covered by the
steps above; a ledger that is lost or reset (a new SQLite file) forgets everything, so keep it
on durable storage shared by every worker.

The ledger is synchronous; its calls run in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, Protocol, TypeVar

from domain.case_file import Channel
from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.ledger import DeliveryState, Ledger, LedgerEntry
from messaging.providers.errors import PermanentDeliveryError, PermanentKind, TransientDeliveryError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Provider(Protocol):
    async def send(self, request: DeliveryRequest, message: Rendered) -> str:
        """Hand one message to the provider; return its id. Raises the errors of
        ``messaging.providers.errors``; a TransientDeliveryError carries ``not_sent``."""


def not_sent(exc: BaseException) -> bool:
    """True when the failed call certainly did not deliver (resending is safe)."""
    if isinstance(exc, PermanentDeliveryError):
        return exc.kind != PermanentKind.UNCERTAIN
    return bool(getattr(exc, "not_sent", False))


class LedgeredSender:
    """A ``Sender`` (see ``activities.delivery``) that delivers each key at most once."""

    def __init__(
        self,
        provider: Provider,
        ledger: Ledger,
        provider_name: str,
        idempotent: bool,
        *,
        settle_seconds: float = 30.0,
        idempotency_window: timedelta = timedelta(hours=23),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.ledger = ledger
        self.provider_name = provider_name
        self.idempotent = idempotent
        self.settle_seconds = settle_seconds
        self.idempotency_window = idempotency_window
        self.clock = clock

    def __repr__(self) -> str:
        return f"LedgeredSender({self.provider_name}, idempotent={self.idempotent})"

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def send(self, request: DeliveryRequest, message: Rendered) -> tuple[str, bool]:
        key = request.key
        channel = str(request.channel.value if isinstance(request.channel, Channel) else request.channel)
        entry = await self._db(self.ledger.begin, key, request.case_reference, request.recipient, channel, self.provider_name)
        if channel in (Channel.SMS.value, Channel.EMAIL.value):
            await self._db(self.ledger.remember_contact, request.to_address, request.case_reference, request.recipient, channel)

        if entry.state == DeliveryState.SENT:
            return entry.provider_id or "", True
        earlier_unknown = False  # an earlier attempt may have gone out (idempotent resend)
        if entry.state in (DeliveryState.ATTEMPTING, DeliveryState.UNCERTAIN):
            found = await self._resolve(entry, request, message)
            if found is not None:
                return found, True
            earlier_unknown = self.idempotent

        claimed = await self._db(self.ledger.attempting, key, provider=self.provider_name, expected_attempts=entry.attempts)
        if not claimed:
            # Another worker moved this key since we read it: let the next attempt see its outcome.
            raise TransientDeliveryError("another attempt for this message is in progress", max(self.settle_seconds, 1.0))
        attempt = entry.attempts + 1
        try:
            provider_id = await self.provider.send(request, message)
        except (TransientDeliveryError, PermanentDeliveryError) as exc:
            if isinstance(exc, PermanentDeliveryError) and exc.kind == PermanentKind.UNCERTAIN:
                await self._db(self.ledger.uncertain, key)  # the provider says an earlier attempt went out
            elif not_sent(exc) and not earlier_unknown:
                await self._db(self.ledger.released, key, expected_attempts=attempt)
            # Otherwise stay 'attempting': this call or an earlier one may have delivered.
            raise
        # Anything else (cancellation, a bug) leaves 'attempting': the outcome is unknown.
        await self._db(self.ledger.sent, key, provider_id)
        return provider_id, False

    async def _resolve(self, entry: LedgerEntry, request: DeliveryRequest, message: Rendered) -> str | None:
        """An earlier attempt's outcome is unknown. Return its provider id if it went out,
        None if sending (again) is safe; raise otherwise."""
        now = self.clock()
        since = entry.pending_since or entry.updated_at
        if entry.provider != self.provider_name:
            await self._give_up(entry, f"an earlier attempt went through {entry.provider}, not {self.provider_name}")
        if self.idempotent:
            if now - since > self.idempotency_window:
                await self._give_up(entry, f"an earlier attempt is older than {self.provider_name}'s idempotency window")
            return None  # same key again: the provider answers with the first message's id
        find_sent = getattr(self.provider, "find_sent", None)
        if find_sent is None and entry.state == DeliveryState.UNCERTAIN:
            await self._give_up(entry, "an earlier attempt may have been delivered")
        wait = self.settle_seconds - (now - entry.updated_at).total_seconds()
        if wait > 0:
            # The earlier attempt may still be in flight (another worker): let it land first.
            raise TransientDeliveryError("an earlier attempt may still be in progress", wait)
        if find_sent is None:
            await self._give_up(entry, f"an earlier attempt may have been delivered and {self.provider_name} cannot tell")
        async def claimed(sid: str) -> bool:
            """A provider message already recorded for another key is not this one."""
            owner = await self._db(self.ledger.by_provider_id, sid)
            return owner is not None and owner.key != entry.key

        found = await find_sent(request, message.text, since=since, claimed=claimed)
        if found:
            log.info("delivery %s resolved: an earlier attempt was sent", entry.key)
            await self._db(self.ledger.sent, entry.key, str(found))
            return str(found)
        if entry.state == DeliveryState.UNCERTAIN:
            await self._give_up(entry, "an earlier attempt was marked uncertain and is not found")
        log.info("delivery %s resolved: an earlier attempt did not reach %s; sending", entry.key, self.provider_name)
        return None

    async def _give_up(self, entry: LedgerEntry, why: str) -> NoReturn:
        await self._db(self.ledger.uncertain, entry.key)
        log.warning("delivery %s not resent: %s", entry.key, why)
        raise PermanentDeliveryError(PermanentKind.UNCERTAIN, why)
