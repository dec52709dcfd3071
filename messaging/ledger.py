"""The delivery ledger: what happened to each message key at a real provider, and who can reply.

One row per idempotency key (``case:event:seq:recipient:channel``) in ``deliveries``, moving
through::

    reserved --attempting--> attempting --sent--> sent
        ^                        |  \\
        +------- released -------+   +--uncertain--> uncertain

- ``reserved``: known, nothing handed to the provider (or a clear refusal such as 429/5xx).
- ``attempting``: handed to the provider, answer not yet recorded. Found by a later attempt,
  this means "the outcome is unknown" (a crash or a timeout between the call and ``sent``).
- ``sent``: the provider accepted it; ``provider_id`` is its id (Twilio SID, Resend id,
  SMTP Message-ID). Final: later attempts for the key report a duplicate.
- ``uncertain``: an unknown outcome that could not be resolved; never resent automatically.

``contacts`` maps an HMAC-SHA256 of a normalised phone number / e-mail address (keyed with a
secret, so the table cannot be reversed by hashing every phone number) to the case, role and
channel it belongs to, so an inbound reply ("STOP") can be routed. Nothing personal is stored:
no addresses, names or message text; keys carry only case references and role ids.

``inbound_events`` remembers each provider event the webhooks have taken (Twilio's MessageSid
for a reply, MessageSid and status for a status callback, Resend's svix-id), so a replayed or
retried request changes nothing the second time. Twilio's signature has no timestamp: a captured
request verifies for ever, and only this table makes it harmless. A claim is released again when
the journey could not be told (Temporal unreachable), so the provider's retry is taken. Claims are
kept for a retention period (``inbound_keep``, WAYPOINT_INBOUND_EVENTS_KEEP_DAYS, 30 days by
default; providers retry within hours to a few days): taking an event deletes the older ones, at
most once per ``PRUNE_EVERY`` in each process, so no background task is needed.

Concurrency: several worker processes may share the database. Every method is one short
transaction; ``begin`` relies on the primary key (insert, and on a conflict read the winner's
row), and state changes are single conditional ``UPDATE``s (compare-and-set on ``attempts``),
so no in-process lock is needed. The tables come from Alembic migrations
(``messaging/ledger_migrations``, see ``messaging.ledger_schema``), applied when a ledger opens. SQLite files get WAL mode and a busy timeout; use any other
SQLAlchemy URL (``postgresql+psycopg://...``) when workers run on several machines.

The methods are synchronous (SQLAlchemy Core, blocking I/O). Async callers run them in a
thread, as ``messaging.exactly_once.LedgeredSender`` does with ``asyncio.to_thread``; a
``Ledger`` is safe to share between threads.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from service.config import DEFAULT_INBOUND_EVENTS_KEEP, DEFAULT_LEDGER_URL

log = logging.getLogger("waypoint.ledger")

# How often a ledger deletes the inbound events older than its retention period (when it takes
# an event, never from a background task): at most once per period in each process.
PRUNE_EVERY = timedelta(hours=1)


class DeliveryState(StrEnum):
    RESERVED = "reserved"
    ATTEMPTING = "attempting"
    SENT = "sent"
    UNCERTAIN = "uncertain"


metadata = MetaData()

deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("case_reference", String(64), nullable=False, index=True),
    Column("recipient", String(64), nullable=False),  # role id: guardian-1, local-team, ...
    Column("channel", String(16), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("provider_id", String(255), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # When the earliest attempt whose outcome is still unknown was made (NULL when none): the
    # start of a provider's idempotency window and of a lookup for an earlier attempt.
    Column("pending_since", DateTime(timezone=True), nullable=True),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("address_hash", String(64), nullable=False, index=True),
    Column("case_reference", String(64), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    UniqueConstraint("address_hash", "case_reference", "recipient", "channel", name="uq_contact"),
)


# One row per provider event taken by a webhook (a new table: one CREATE TABLE in a migration).
inbound_events = Table(
    "inbound_events",
    metadata,
    Column("provider", String(16), primary_key=True),  # twilio-sms, twilio-status, resend
    Column("event_id", String(160), primary_key=True),  # MessageSid[:status] or svix-id
    # Pruned by age (see ``Ledger.claim_inbound``): kept ``WAYPOINT_INBOUND_EVENTS_KEEP_DAYS``.
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    case_reference: str
    recipient: str
    channel: str
    provider: str
    state: DeliveryState
    provider_id: str | None
    attempts: int
    updated_at: datetime  # timezone-aware, UTC; the last change (for ``attempting``: the last claim)
    pending_since: datetime | None = None  # the first claim not yet known to have failed


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite gives back naive datetimes; everything is written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def normalize_address(address: str) -> str:
    """E-mail: trimmed, lower-cased. Phone: digits with a leading '+' (E.164 as written)."""
    value = address.strip()
    if "@" in value:
        return value.lower()
    digits = re.sub(r"\D", "", value)
    if value.startswith("00") and not value.startswith("+"):
        digits = digits[2:]
    return "+" + digits


class Ledger:
    """See the module docstring. ``contact_hash_key`` is the secret for the address HMAC;
    ``clock`` gives the time rows are stamped with (tests move it)."""

    def __init__(self, url: str = DEFAULT_LEDGER_URL, *, contact_hash_key: str | bytes, engine: Engine | None = None,
                 inbound_keep: timedelta = DEFAULT_INBOUND_EVENTS_KEEP, clock: Callable[[], datetime] = _now) -> None:
        key = contact_hash_key.encode() if isinstance(contact_hash_key, str) else bytes(contact_hash_key)
        if not key:
            raise ValueError("the contact hash key must not be empty")
        if inbound_keep <= PRUNE_EVERY:
            raise ValueError("inbound events must be kept longer than the pruning interval")
        self._hash_key = key
        self.inbound_keep = inbound_keep
        self._now = clock
        self._next_prune: datetime | None = None  # None: prune when the next event is taken
        self._pruning = threading.Lock()
        self.engine = engine or make_engine(url)
        self._create_tables()

    def derived_key(self, purpose: str) -> bytes:
        """A secret for another purpose, derived from the contact hash key (never the key itself):
        e.g. the family-page links of messages that go through this ledger."""
        return hmac.new(self._hash_key, f"waypoint:{purpose}".encode(), hashlib.sha256).digest()

    def __repr__(self) -> str:  # never show the hash key or URL credentials
        return f"Ledger({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- deliveries -------------------------------------------------------------------------

    def begin(self, key: str, case_reference: str, recipient: str, channel: str, provider: str) -> LedgerEntry:
        """Insert the key as ``reserved`` if absent; return the current row either way."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(deliveries).values(
                        key=key,
                        case_reference=case_reference,
                        recipient=recipient,
                        channel=str(channel),
                        provider=provider,
                        state=DeliveryState.RESERVED.value,
                        provider_id=None,
                        attempts=0,
                        updated_at=self._now(),
                        pending_since=None,
                    )
                )
        except IntegrityError:
            pass  # another attempt (maybe in another process) got there first
        entry = self.get(key)
        assert entry is not None
        return entry

    def get(self, key: str) -> LedgerEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.key == key)).mappings().first()
        return _entry(row) if row else None

    def attempting(self, key: str, *, provider: str | None = None, expected_attempts: int | None = None) -> bool:
        """Claim the key for a provider call: state ``attempting``, ``attempts`` + 1.

        With ``expected_attempts`` this is a compare-and-set: it succeeds only if nobody else
        claimed the key since it was read, so two concurrent workers cannot both call the
        provider. Never moves a ``sent`` row. Returns whether the claim succeeded."""
        now = self._now()
        values: dict[str, object] = {
            "state": DeliveryState.ATTEMPTING.value,
            "attempts": deliveries.c.attempts + 1,
            "updated_at": now,
            "pending_since": func.coalesce(deliveries.c.pending_since, now),
        }
        if provider is not None:
            values["provider"] = provider
        stmt = update(deliveries).where(deliveries.c.key == key, deliveries.c.state != DeliveryState.SENT.value)
        if expected_attempts is not None:
            stmt = stmt.where(deliveries.c.attempts == expected_attempts)
        return self._update(stmt.values(**values))

    def sent(self, key: str, provider_id: str) -> bool:
        """The provider accepted the message. Always recorded: the provider's word wins."""
        stmt = (
            update(deliveries)
            .where(deliveries.c.key == key)
            .values(state=DeliveryState.SENT.value, provider_id=provider_id, updated_at=self._now(), pending_since=None)
        )
        return self._update(stmt)

    def released(self, key: str, *, expected_attempts: int | None = None) -> bool:
        """Back to ``reserved`` after a clear non-delivery (429, 5xx, a refusal): resending is safe.

        Only from ``attempting`` (and, with ``expected_attempts``, only the caller's own claim)."""
        stmt = update(deliveries).where(deliveries.c.key == key, deliveries.c.state == DeliveryState.ATTEMPTING.value)
        if expected_attempts is not None:
            stmt = stmt.where(deliveries.c.attempts == expected_attempts)
        return self._update(stmt.values(state=DeliveryState.RESERVED.value, updated_at=self._now(), pending_since=None))

    def uncertain(self, key: str) -> bool:
        """An earlier attempt may have gone out and we cannot tell: never resend automatically."""
        stmt = (
            update(deliveries)
            .where(deliveries.c.key == key, deliveries.c.state != DeliveryState.SENT.value)
            .values(state=DeliveryState.UNCERTAIN.value, updated_at=self._now())
        )
        return self._update(stmt)

    def by_provider_id(self, provider_id: str) -> LedgerEntry | None:
        """For status callbacks: which delivery a provider's message id belongs to."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(deliveries).where(deliveries.c.provider_id == provider_id).limit(1)).mappings().first()
            )
        return _entry(row) if row else None

    def counts(self) -> dict[str, int]:
        """Figures for dashboards: deliveries per state (all states present) and contacts."""
        result = {state.value: 0 for state in DeliveryState}
        with self.engine.connect() as conn:
            for state, n in conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state)):
                result[state] = int(n)
            result["contacts"] = int(conn.execute(select(func.count()).select_from(contacts)).scalar_one())
        return result

    def ping(self) -> None:
        """Raises when the database does not answer (health checks)."""
        with self.engine.connect() as conn:
            conn.execute(select(1)).scalar_one()

    # -- contacts ---------------------------------------------------------------------------

    def address_hash(self, address: str) -> str:
        return hmac.new(self._hash_key, normalize_address(address).encode("utf-8"), hashlib.sha256).hexdigest()

    def remember_contact(self, address: str, case_reference: str, recipient: str, channel: str) -> None:
        """Record (or refresh) that this address belongs to this case's role on this channel."""
        digest = self.address_hash(address)
        now = self._now()
        where = (
            (contacts.c.address_hash == digest)
            & (contacts.c.case_reference == case_reference)
            & (contacts.c.recipient == recipient)
            & (contacts.c.channel == str(channel))
        )
        with self.engine.begin() as conn:
            if conn.execute(update(contacts).where(where).values(last_seen=now)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(contacts).values(
                        address_hash=digest,
                        case_reference=case_reference,
                        recipient=recipient,
                        channel=str(channel),
                        last_seen=now,
                    )
                )
        except IntegrityError:
            pass  # inserted concurrently: it is there, which is all we need

    def contacts_for(self, address: str) -> list[tuple[str, str, str]]:
        """(case_reference, recipient, channel) for an inbound sender's address, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(contacts.c.case_reference, contacts.c.recipient, contacts.c.channel)
                .where(contacts.c.address_hash == self.address_hash(address))
                .order_by(contacts.c.last_seen.desc())
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- inbound events ---------------------------------------------------------------------

    def claim_inbound(self, provider: str, event_id: str) -> bool:
        """Record a provider event as taken. False when it was taken before (a repeat) within the
        retention period (``inbound_keep``); older events are forgotten when one is taken."""
        now = self._now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(inbound_events).values(provider=provider, event_id=event_id, received_at=now))
        except IntegrityError:
            return False
        self._prune_inbound(now)
        return True

    def _prune_inbound(self, now: datetime) -> None:
        """Delete the events older than the retention period, at most once per ``PRUNE_EVERY`` in
        this process. Never fails the claim it follows: the event is taken, and a prune that did
        not happen is simply tried again an hour later."""
        if not self._pruning.acquire(blocking=False):
            return  # another thread of this process is pruning now
        try:
            if self._next_prune is not None and now < self._next_prune:
                return
            self._next_prune = now + PRUNE_EVERY
            with self.engine.begin() as conn:
                gone = conn.execute(delete(inbound_events).where(inbound_events.c.received_at < now - self.inbound_keep)).rowcount
            if gone:
                log.info("forgot %d inbound provider events older than %d days", gone, self.inbound_keep.days)
        except SQLAlchemyError as exc:
            log.warning("inbound events not pruned: %s", type(exc).__name__)
        finally:
            self._pruning.release()

    def release_inbound(self, provider: str, event_id: str) -> None:
        """Forget a claim whose event could not be handed on, so the provider's retry is taken."""
        with self.engine.begin() as conn:
            conn.execute(delete(inbound_events).where(
                (inbound_events.c.provider == provider) & (inbound_events.c.event_id == event_id)))

    # -- internals --------------------------------------------------------------------------

    def _update(self, stmt) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount > 0

    def _create_tables(self) -> None:
        from messaging.ledger_schema import upgrade  # noqa: PLC0415 - the schema module imports our tables

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def _entry(row) -> LedgerEntry:
    return LedgerEntry(
        key=row["key"],
        case_reference=row["case_reference"],
        recipient=row["recipient"],
        channel=row["channel"],
        provider=row["provider"],
        state=DeliveryState(row["state"]),
        provider_id=row["provider_id"],
        attempts=int(row["attempts"]),
        updated_at=_aware(row["updated_at"]),
        pending_since=_aware(row["pending_since"]) if row["pending_since"] is not None else None,
    )


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:"):
        # One shared in-memory database for every thread (tests).
        return create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")  # writers wait for each other
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.close()

    return engine
