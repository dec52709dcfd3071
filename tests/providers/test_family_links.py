"""Family links: random, stored hashed, one guardian each, expiring, revocable; fresh links
rate limited per guardian; an organisation's own portal keeps its plain links."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import StaticPool

from messaging.links import CaseLinks, LinkBook, links

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def book() -> LinkBook:
    return LinkBook(create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool))


def test_a_link_opens_one_guardians_view_until_it_expires(book: LinkBook):
    token = book.mint("WJ-2026-0042", "guardian-1", "ar", "sms", NOW, 30 * DAY)
    assert len(token) == 22
    grant = book.grant(token, NOW + DAY)
    assert grant is not None and (grant.case_reference, grant.recipient, grant.language) == ("WJ-2026-0042", "guardian-1", "ar")
    assert book.grant(token, NOW + 30 * DAY) is None
    assert book.grant(token[:-1] + ("A" if token[-1] != "A" else "B"), NOW) is None
    assert book.grant("WJ-2026-0042", NOW) is None  # never the case reference alone
    with book.engine.connect() as conn:
        stored = conn.execute(select(links.c.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # only the hash is kept


def test_revoking_stops_every_live_link_of_a_case(book: LinkBook):
    first = book.mint("WJ-2026-0042", "guardian-1", "en", "email", NOW, 30 * DAY)
    second = book.mint("WJ-2026-0042", "guardian-2", "en", "email", NOW, 30 * DAY)
    other = book.mint("WJ-2026-0043", "guardian-1", "en", "email", NOW, 30 * DAY)
    assert book.revoke("WJ-2026-0042", NOW) == 2
    assert book.grant(first, NOW) is None and book.grant(second, NOW) is None
    assert book.grant(other, NOW) is not None
    assert book.claim_fresh(first, NOW + 31 * DAY, timedelta(hours=1)) is None  # revoked: no fresh link


def test_a_fresh_link_is_granted_once_per_period_for_each_guardian(book: LinkBook):
    old = book.mint("WJ-2026-0042", "guardian-1", "en", "sms", NOW, DAY)
    older = book.mint("WJ-2026-0042", "guardian-1", "en", "email", NOW - DAY, DAY)
    later = NOW + 2 * DAY
    assert book.claim_fresh(old, NOW, timedelta(hours=1)) is None  # still valid: nothing to send
    due = book.claim_fresh(old, later, timedelta(hours=1))
    assert due is not None and (due.recipient, due.channel) == ("guardian-1", "sms")
    assert book.claim_fresh(old, later + timedelta(minutes=5), timedelta(hours=1)) is None
    assert book.claim_fresh(older, later + timedelta(minutes=5), timedelta(hours=1)) is None  # same guardian
    assert book.claim_fresh(old, later + timedelta(hours=2), timedelta(hours=1)) is not None
    assert book.claim_fresh("forged", later, timedelta(hours=1)) is None


def test_messages_carry_a_family_link_or_the_organisations_portal(book: LinkBook):
    family = CaseLinks(None, book, "https://journeys.example/family", 30 * DAY)
    link = family.link("WJ-2026-0042", "guardian-1", "ru", "email")
    assert link.startswith("https://journeys.example/family/") and "WJ-2026-0042" not in link
    assert family.link("WJ-2026-0042", "local-team", "ru", "email") == "https://journeys.example/family/"
    assert book.channels_of("WJ-2026-0042", "guardian-1") == ["email"]
    portal = CaseLinks("https://portal.example/case/")
    assert portal.link("WJ-2026-0042", "guardian-1", "ru", "email") == "https://portal.example/case/WJ-2026-0042"


def test_a_family_link_is_never_longer_than_the_longest_portal_link(book: LinkBook):
    """Every SMS is proven to fit two segments with the longest portal link (MAX_CASE_LINK_BASE_LENGTH
    plus the longest case reference, tests/providers/test_message_wording.py); a family link must
    be no longer, and a public URL that would make it longer is refused at start."""
    from service.config import MAX_CASE_LINK_BASE_LENGTH, MAX_FAMILY_LINK_LENGTH, Settings

    assert MAX_FAMILY_LINK_LENGTH == MAX_CASE_LINK_BASE_LENGTH + 1 + len("WJPX-2026-123456")
    longest = "https://" + "j" * 100
    for size in range(20, 80):
        url = longest[:size]
        try:
            settings = Settings.from_env({"WAYPOINT_PUBLIC_BASE_URL": url})
        except ValueError as err:
            assert "WAYPOINT_PUBLIC_BASE_URL" in str(err)
            continue
        family = CaseLinks(None, book, settings.family.link_base, 30 * DAY)
        assert len(family.link("WJ-2026-0042", "guardian-1", "en", "sms")) <= MAX_FAMILY_LINK_LENGTH


def test_a_retried_delivery_carries_the_same_link_so_exactly_once_holds(book: LinkBook):
    """A retry after a crash between the provider's answer and the ledger's record renders the
    message again: its body must be byte for byte the same (Resend refuses a changed body under
    the same idempotency key; Twilio's lookup matches the exact body). With a ledger (a real
    provider), the token comes from the message key under a secret; another message gets another."""
    key = b"k" * 32
    case_links = CaseLinks(None, book, "https://families.example/family", token_key=key)
    first = case_links.link("WJ-2026-0042", "guardian-1", "ru", "email", message_key="WJ-2026-0042:record_request:1:guardian-1:email")
    again = case_links.link("WJ-2026-0042", "guardian-1", "ru", "email", message_key="WJ-2026-0042:record_request:1:guardian-1:email")
    other = case_links.link("WJ-2026-0042", "guardian-1", "ru", "email", message_key="WJ-2026-0042:record_request:2:guardian-1:email")
    assert first == again and first != other
    with book.engine.connect() as conn:
        assert len(conn.execute(select(links)).all()) == 2  # one row per message, not per attempt
    token = first.rsplit("/", 1)[1]
    assert book.grant(token, datetime.now(UTC)) is not None
    # Another secret (another deployment) gives another token for the same key.
    elsewhere = CaseLinks(None, book, "https://families.example/family", token_key=b"x" * 32)
    assert elsewhere.link("WJ-2026-0042", "guardian-1", "ru", "email",
                          message_key="WJ-2026-0042:record_request:1:guardian-1:email") != first
