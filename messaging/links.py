"""Links to the family page: one random token per message to one guardian, stored hashed.

The delivery activity mints a link for each message to a guardian (so every message renews the
guardian's access); the family page (api/family/) looks a token up. A token is 128 random bits in
the URL; the database keeps only its SHA-256, the case reference, the guardian's role id, the
language and channel the message went in, and when it expires. A link is valid for a policy
period (WAYPOINT_FAMILY_LINK_DAYS) unless the coordinator revokes the case's links. An expired
link may ask for a fresh one to be sent to the guardian's own channel, at most once per
WAYPOINT_FRESH_LINK_EVERY_MINUTES for each guardian.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, and_, insert, or_, select, update

from documents.family_schema import FAMILY
from documents.index import aware
from service.config import FAMILY_TOKEN_CHARS

metadata = MetaData()

links = Table(
    "family_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("case_reference", String(64), nullable=False, index=True),
    Column("recipient", String(64), nullable=False),  # guardian-1, guardian-2
    Column("language", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("fresh_requested_at", DateTime(timezone=True), nullable=True),
)

_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{FAMILY_TOKEN_CHARS}}}$")
GUARDIAN = re.compile(r"^guardian-[12]$")


@dataclass(frozen=True)
class Grant:
    """What a valid token lets its holder see: one guardian's view of one case."""

    case_reference: str
    recipient: str
    language: str
    channel: str
    expires_at: datetime


@dataclass(frozen=True)
class FreshLink:
    """A fresh link is due: send it to this guardian on this channel."""

    case_reference: str
    recipient: str
    channel: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        FAMILY.upgrade(engine)  # the tables come from the family migrations

    def mint(self, case_reference: str, recipient: str, language: str, channel: str, now: datetime,
             valid_for: timedelta, token: str | None = None) -> str:
        """Record a link (a random token unless one is given). A given token already recorded is
        kept as it is (a retried delivery: same link, same expiry, still revoked if it was)."""
        token = token or secrets.token_urlsafe(16)  # 128 bits; FAMILY_TOKEN_CHARS characters
        with self.engine.begin() as conn:
            exists = conn.execute(select(links.c.token_hash).where(links.c.token_hash == _hash(token))).first()
            if exists is None:
                conn.execute(insert(links).values(
                    token_hash=_hash(token), case_reference=case_reference, recipient=recipient, language=language,
                    channel=channel, issued_at=now, expires_at=now + valid_for, revoked_at=None, fresh_requested_at=None,
                ))
        return token

    def _row(self, token: str):
        if not _TOKEN.fullmatch(token or ""):
            return None
        with self.engine.connect() as conn:
            return conn.execute(select(links).where(links.c.token_hash == _hash(token))).mappings().first()

    def grant(self, token: str, now: datetime) -> Grant | None:
        """The grant of a valid token; None for a forged, expired or revoked one (all look alike)."""
        row = self._row(token)
        if row is None or row["revoked_at"] is not None or aware(row["expires_at"]) <= now:
            return None
        return Grant(row["case_reference"], row["recipient"], row["language"], row["channel"],
                     aware(row["expires_at"]))

    def language_hint(self, token: str) -> str | None:
        """The language a (possibly expired) link was sent in, to word the page that refuses it."""
        row = self._row(token)
        return row["language"] if row is not None else None

    def claim_fresh(self, token: str, now: datetime, every: timedelta) -> FreshLink | None:
        """An expired, unrevoked link asks for a fresh one: granted at most once per ``every`` for
        each guardian (across all their links). None when nothing is to be sent."""
        row = self._row(token)
        if row is None or row["revoked_at"] is not None or aware(row["expires_at"]) > now:
            return None
        since = now - every
        with self.engine.begin() as conn:
            recent = conn.execute(select(links.c.token_hash).where(
                links.c.case_reference == row["case_reference"], links.c.recipient == row["recipient"],
                links.c.fresh_requested_at > since,
            )).first()
            if recent is not None:
                return None
            claimed = conn.execute(update(links).where(
                links.c.token_hash == row["token_hash"],
                or_(links.c.fresh_requested_at.is_(None), links.c.fresh_requested_at <= since),
            ).values(fresh_requested_at=now)).rowcount
        if not claimed:
            return None
        return FreshLink(row["case_reference"], row["recipient"], row["channel"])

    def revoke(self, case_reference: str, now: datetime, recipient: str | None = None) -> int:
        """Revoke every live link of a case (or of one guardian). Returns how many."""
        where = [links.c.case_reference == case_reference, links.c.revoked_at.is_(None)]
        if recipient is not None:
            where.append(links.c.recipient == recipient)
        with self.engine.begin() as conn:
            return conn.execute(update(links).where(and_(*where)).values(revoked_at=now)).rowcount

    def channels_of(self, case_reference: str, recipient: str) -> list[str]:
        """The channels a guardian has been sent links on (the channels they have with us)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(links.c.channel).distinct().where(
                links.c.case_reference == case_reference, links.c.recipient == recipient)).all()
        return sorted(r[0] for r in rows)

    def live_count(self, case_reference: str, now: datetime) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(links.c.token_hash).where(
                links.c.case_reference == case_reference, links.c.revoked_at.is_(None), links.c.expires_at > now,
            )).all())


class CaseLinks:
    """The link a message carries: an organisation's own portal (``<base>/<case reference>``),
    or a freshly minted family-page link for a guardian. Other recipients (the local team, the
    coordinator) get the page's front door, which holds nothing."""

    def __init__(self, portal_base: str | None, book: LinkBook | None = None, family_base: str = "",
                 valid_for: timedelta = timedelta(days=30), token_key: bytes | None = None) -> None:
        if portal_base is None and book is None:
            raise ValueError("either an organisation's portal or the family page's link book is needed")
        self.portal_base = portal_base.rstrip("/") if portal_base else None
        self.book = book
        self.family_base = family_base.rstrip("/")
        self.valid_for = valid_for
        # With a real provider, exactly-once compares what was sent with what a retry renders:
        # the token then comes from the message key under this secret, the same on every attempt.
        self.token_key = token_key

    def link(self, case_reference: str, recipient: str, language: str, channel: str, message_key: str | None = None) -> str:
        if self.portal_base is not None:
            return f"{self.portal_base}/{case_reference}"
        assert self.book is not None
        if not GUARDIAN.fullmatch(recipient):
            return f"{self.family_base}/"
        token = None
        if self.token_key is not None and message_key is not None:
            digest = hmac.new(self.token_key, message_key.encode(), hashlib.sha256).digest()[:16]
            token = base64.urlsafe_b64encode(digest).decode().rstrip("=")  # FAMILY_TOKEN_CHARS characters
        token = self.book.mint(case_reference, recipient, language, channel, datetime.now(UTC), self.valid_for, token)
        return f"{self.family_base}/{token}"
