"""Providers over real HTTP/SMTP against the local fakes, exactly-once delivery through the
ledger, and provider configuration from the environment."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.case_file import Channel
from domain.state import MessageEvent
from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.exactly_once import LedgeredSender
from messaging.ledger import DeliveryState, Ledger
from messaging.provider_config import open_ledger, senders_for
from service.config import PROVIDER_ENV, DeliverySettings
from messaging.providers.errors import PermanentDeliveryError, PermanentKind, TransientDeliveryError
from messaging.providers.resend import ResendEmail
from messaging.providers.smtp import SmtpEmail, message_id_for
from messaging.providers.twilio import TwilioSms
from tests.support.fake_providers import (  # noqa: F401 - fixtures
    FakeResend,
    FakeSmtp,
    FakeTwilio,
    fake_resend,
    fake_smtp,
    fake_twilio,
    free_port,
)

PHONE = "+447700900123"
OTHER_PHONE = "+447700900456"
EMAIL = "amina@example.org"
HASH_KEY = "test-contact-hash-key-0123456789"
CLIENT_TIMEOUT = 0.4


def request(channel: Channel, to: str, seq: int = 1, recipient: str = "guardian-1") -> DeliveryRequest:
    return DeliveryRequest(
        key=f"WJ-2026-0042:record_request:{seq}:{recipient}:{channel.value}",
        case_reference="WJ-2026-0042",
        event=MessageEvent.RECORD_REQUEST,
        channel=channel,
        recipient=recipient,
        to_address=to,
        to_name="Amina Example",
        language="en",
        timezone="Europe/London",
    )


def sms(text: str = "Waypoint: we need 2 records for WJ-2026-0042. https://portal.example/c") -> Rendered:
    return Rendered(subject=None, text=text, language="en")


def mail(html: bool = True) -> Rendered:
    return Rendered(
        subject="Records needed for WJ-2026-0042",
        text="Dear family,\n\nWe need two records.\n",
        html="<p>Dear family,</p><p>We need two records.</p>" if html else None,
        language="en",
    )


def twilio(fake: FakeTwilio, **kw) -> TwilioSms:
    kw.setdefault("from_number", fake.from_number)
    return TwilioSms(fake.account_sid, fake.auth_token, api_base=fake.url, status_callback_base="https://hooks.example/", timeout=CLIENT_TIMEOUT, **kw)


def resend(fake: FakeResend, api_key: str | None = None) -> ResendEmail:
    return ResendEmail(api_key or fake.api_key, from_address="Waypoint <care@waypoint.example>", api_base=fake.url, timeout=CLIENT_TIMEOUT)


def smtp(fake: FakeSmtp, password: str | None = None) -> SmtpEmail:
    return SmtpEmail(
        fake.host,
        fake.port,
        from_address="Waypoint Journeys <care@waypoint.example>",
        username=fake.username,
        password=password or fake.password,
        security="none",
        timeout=CLIENT_TIMEOUT,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", contact_hash_key=HASH_KEY)
    yield led
    led.close()


# --- Twilio --------------------------------------------------------------------------------


async def test_twilio_sends_and_returns_the_sid(fake_twilio: FakeTwilio) -> None:
    sid = await twilio(fake_twilio).send(request(Channel.SMS, PHONE), sms())
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    [sent] = fake_twilio.messages
    assert sent["sid"] == sid and sent["to"] == PHONE and sent["from"] == fake_twilio.from_number
    assert sent["body"] == sms().text
    assert sent["status_callback"] == "https://hooks.example/twilio/status"
    assert fake_twilio.requests[-1]["headers"]["Authorization"].startswith("Basic ")


async def test_twilio_messaging_service(fake_twilio: FakeTwilio) -> None:
    provider = twilio(fake_twilio, from_number=None, messaging_service_sid="MG" + "a" * 32)
    await provider.send(request(Channel.SMS, PHONE), sms())
    [sent] = fake_twilio.messages
    assert sent["messaging_service_sid"] == "MG" + "a" * 32


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("invalid_number", PermanentKind.INVALID_ADDRESS),
        ("landline", PermanentKind.LANDLINE),
        ("opted_out", PermanentKind.OPTED_OUT_AT_PROVIDER),
        ("bad_credentials", PermanentKind.BAD_CREDENTIALS),
        ("inactive_recipient", PermanentKind.INACTIVE_RECIPIENT),
        ("rejected", PermanentKind.REJECTED),
    ],
)
async def test_twilio_permanent_errors(fake_twilio: FakeTwilio, mode: str, kind: PermanentKind) -> None:
    fake_twilio.mode = mode
    with pytest.raises(PermanentDeliveryError) as info:
        await twilio(fake_twilio).send(request(Channel.SMS, PHONE), sms())
    assert info.value.kind == kind
    assert PHONE not in str(info.value) and PHONE[1:] not in str(info.value), "no phone numbers in errors"
    assert fake_twilio.messages == []


async def test_twilio_wrong_token_is_bad_credentials(fake_twilio: FakeTwilio) -> None:
    provider = TwilioSms(fake_twilio.account_sid, "wrong-token", from_number=fake_twilio.from_number, api_base=fake_twilio.url)
    with pytest.raises(PermanentDeliveryError) as info:
        await provider.send(request(Channel.SMS, PHONE), sms())
    assert info.value.kind == PermanentKind.BAD_CREDENTIALS
    assert "wrong-token" not in str(info.value) and "wrong-token" not in repr(provider)


async def test_twilio_transient_errors(fake_twilio: FakeTwilio) -> None:
    provider = twilio(fake_twilio)
    fake_twilio.mode, fake_twilio.retry_after = "429", 7
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.SMS, PHONE), sms())
    assert info.value.retry_after_seconds == 7 and info.value.not_sent
    fake_twilio.mode = "500"
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.SMS, PHONE), sms())
    assert info.value.not_sent
    assert fake_twilio.messages == []

    # A timeout is ambiguous: here Twilio took the message but the answer came too late.
    fake_twilio.mode, fake_twilio.hang_seconds = "timeout", 1.0
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.SMS, PHONE), sms())
    assert not info.value.not_sent
    assert len(fake_twilio.messages) == 1


async def test_twilio_connection_refused_is_transient() -> None:
    provider = TwilioSms("AC" + "0" * 32, "token", from_number="+15005550006", api_base=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.SMS, PHONE), sms())
    assert info.value.not_sent


async def test_twilio_per_recipient_override(fake_twilio: FakeTwilio) -> None:
    fake_twilio.override(PHONE, "landline")
    provider = twilio(fake_twilio)
    with pytest.raises(PermanentDeliveryError):
        await provider.send(request(Channel.SMS, PHONE), sms())
    await provider.send(request(Channel.SMS, OTHER_PHONE, recipient="guardian-2"), sms())
    assert [m["to"] for m in fake_twilio.messages] == [OTHER_PHONE]


async def test_twilio_find_sent_matches_the_exact_body_to_that_number(fake_twilio: FakeTwilio) -> None:
    provider = twilio(fake_twilio)
    req = request(Channel.SMS, PHONE)
    started = datetime.now(UTC)
    sid = await provider.send(req, sms())
    await provider.send(request(Channel.SMS, OTHER_PHONE, recipient="guardian-2"), sms("Another text"))
    assert await provider.find_sent(req, sms().text, since=started) == sid
    assert await provider.find_sent(req, "Another text", since=started) is None
    assert await provider.find_sent(request(Channel.SMS, OTHER_PHONE), sms().text, since=started) is None
    # A message older than the attempt (the same reminder last week) does not count.
    assert await provider.find_sent(req, sms().text, since=started + timedelta(hours=1)) is None
    fake_twilio.list_mode = "500"
    with pytest.raises(TransientDeliveryError):
        await provider.find_sent(req, sms().text, since=started)


async def test_twilio_find_sent_follows_pages(fake_twilio: FakeTwilio) -> None:
    provider = twilio(fake_twilio, page_size=5)
    req = request(Channel.SMS, PHONE)
    sid = await provider.send(req, sms("the one"))
    for i in range(12):
        await provider.send(req, sms(f"later {i}"))
    assert await provider.find_sent(req, "the one", since=datetime.now(UTC) - timedelta(minutes=1)) == sid


# --- Resend --------------------------------------------------------------------------------


async def test_resend_sends_with_the_idempotency_key(fake_resend: FakeResend) -> None:
    req = request(Channel.EMAIL, EMAIL)
    email_id = await resend(fake_resend).send(req, mail())
    [sent] = fake_resend.messages
    assert sent["id"] == email_id and sent["to"] == EMAIL
    assert sent["subject"] == mail().subject and sent["text"] == mail().text and sent["html"] == mail().html
    assert sent["headers"] == {"Content-Language": "en"}
    headers = fake_resend.requests[-1]["headers"]
    assert headers["Idempotency-Key"] == req.key
    assert headers["Authorization"] == f"Bearer {fake_resend.api_key}"
    # The same key again: the first id, no second e-mail.
    assert await resend(fake_resend).send(req, mail()) == email_id
    assert len(fake_resend.messages) == 1


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("invalid_address", PermanentKind.INVALID_ADDRESS),
        ("inactive_recipient", PermanentKind.INACTIVE_RECIPIENT),
        ("bad_credentials", PermanentKind.BAD_CREDENTIALS),
        ("rejected", PermanentKind.REJECTED),
    ],
)
async def test_resend_permanent_errors(fake_resend: FakeResend, mode: str, kind: PermanentKind) -> None:
    fake_resend.mode = mode
    with pytest.raises(PermanentDeliveryError) as info:
        await resend(fake_resend).send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.kind == kind
    assert EMAIL not in str(info.value)
    assert fake_resend.messages == []


async def test_resend_wrong_key_and_changed_content(fake_resend: FakeResend) -> None:
    with pytest.raises(PermanentDeliveryError) as info:
        await resend(fake_resend, api_key="re_wrong_key").send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.kind == PermanentKind.BAD_CREDENTIALS and "re_wrong_key" not in str(info.value)
    req = request(Channel.EMAIL, EMAIL)
    await resend(fake_resend).send(req, mail())
    # Same key, other content: Resend took the first version; we cannot tell the family got this one.
    with pytest.raises(PermanentDeliveryError) as info:
        await resend(fake_resend).send(req, mail(html=False))
    assert info.value.kind == PermanentKind.UNCERTAIN


async def test_resend_transient_errors(fake_resend: FakeResend) -> None:
    provider = resend(fake_resend)
    fake_resend.mode, fake_resend.retry_after = "429", 3
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.retry_after_seconds == 3 and info.value.not_sent
    fake_resend.mode = "500"
    with pytest.raises(TransientDeliveryError):
        await provider.send(request(Channel.EMAIL, EMAIL), mail())
    fake_resend.mode, fake_resend.hang_seconds = "timeout", 1.0
    with pytest.raises(TransientDeliveryError) as info:
        await provider.send(request(Channel.EMAIL, EMAIL), mail())
    assert not info.value.not_sent
    assert len(fake_resend.messages) == 1


# --- SMTP ----------------------------------------------------------------------------------


async def test_smtp_sends_multipart_with_message_id_and_language(fake_smtp: FakeSmtp) -> None:
    req = request(Channel.EMAIL, EMAIL)
    reference = await smtp(fake_smtp).send(req, mail())
    assert reference == message_id_for(req.key) == "<WJ-2026-0042.record_request.1.guardian-1.email@waypoint>"
    [record] = fake_smtp.messages
    assert record.rcpt_tos == [EMAIL] and record.mail_from == "care@waypoint.example"
    msg = record.message
    assert msg["Message-ID"] == reference
    assert msg["Content-Language"] == "en"
    assert msg["Subject"] == mail().subject
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == mail().text
    assert "<p>Dear family,</p>" in msg.get_body(("html",)).get_content()


async def test_smtp_text_only_and_non_latin(fake_smtp: FakeSmtp) -> None:
    rendered = Rendered(subject="需要的病历 WJ-2026-0042", text="您好，我们还需要两份病历。\n", language="zh")
    await smtp(fake_smtp).send(request(Channel.EMAIL, EMAIL), rendered)
    msg = fake_smtp.messages[0].message
    assert msg.get_content_type() == "text/plain"
    assert msg["Subject"] == rendered.subject and msg.get_content().replace("\r\n", "\n") == rendered.text
    assert msg["Content-Language"] == "zh"


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("550", PermanentKind.INVALID_ADDRESS),
        ("553", PermanentKind.INVALID_ADDRESS),
        ("inactive_recipient", PermanentKind.INACTIVE_RECIPIENT),
        ("rejected", PermanentKind.REJECTED),
        ("bad_credentials", PermanentKind.BAD_CREDENTIALS),
    ],
)
async def test_smtp_permanent_errors(fake_smtp: FakeSmtp, mode: str, kind: PermanentKind) -> None:
    fake_smtp.mode = mode
    with pytest.raises(PermanentDeliveryError) as info:
        await smtp(fake_smtp).send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.kind == kind
    assert EMAIL not in str(info.value) and fake_smtp.password not in str(info.value)
    assert fake_smtp.messages == []


async def test_smtp_wrong_password(fake_smtp: FakeSmtp) -> None:
    provider = smtp(fake_smtp, password="not-the-password")
    with pytest.raises(PermanentDeliveryError) as info:
        await provider.send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.kind == PermanentKind.BAD_CREDENTIALS
    assert "not-the-password" not in str(info.value) + repr(provider)


@pytest.mark.parametrize("mode", ["451", "data_451"])
async def test_smtp_temporary_refusals(fake_smtp: FakeSmtp, mode: str) -> None:
    fake_smtp.mode = mode
    with pytest.raises(TransientDeliveryError) as info:
        await smtp(fake_smtp).send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.not_sent
    assert fake_smtp.messages == []


async def test_smtp_connection_refused_and_timeout(fake_smtp: FakeSmtp) -> None:
    refused = SmtpEmail("127.0.0.1", free_port(), from_address="care@waypoint.example", security="none", timeout=CLIENT_TIMEOUT)
    with pytest.raises(TransientDeliveryError) as info:
        await refused.send(request(Channel.EMAIL, EMAIL), mail())
    assert info.value.not_sent
    fake_smtp.mode, fake_smtp.hang_seconds = "timeout", 1.0
    with pytest.raises(TransientDeliveryError) as info:
        await smtp(fake_smtp).send(request(Channel.EMAIL, EMAIL), mail())
    assert not info.value.not_sent, "a timeout after DATA is ambiguous"
    assert len(fake_smtp.messages) == 1


# --- exactly once through the ledger --------------------------------------------------------


async def test_repeated_delivery_is_sent_once(fake_twilio: FakeTwilio, fake_resend: FakeResend, fake_smtp: FakeSmtp, ledger: Ledger) -> None:
    cases = [
        (LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False), request(Channel.SMS, PHONE), sms(), fake_twilio),
        (LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True), request(Channel.EMAIL, EMAIL), mail(), fake_resend),
        (LedgeredSender(smtp(fake_smtp), ledger, "smtp", idempotent=False), request(Channel.EMAIL, EMAIL, seq=2), mail(), fake_smtp),
    ]
    for sender, req, rendered, fake in cases:
        reference, duplicate = await sender.send(req, rendered)
        assert not duplicate
        again = await sender.send(req, rendered)
        assert again == (reference, True)
        assert len(fake.messages) == 1
        entry = ledger.get(req.key)
        assert entry.state == DeliveryState.SENT and entry.provider_id == reference and entry.attempts == 1
    # Replies can be routed: the addresses are remembered (as hashes).
    assert ledger.contacts_for(PHONE) == [("WJ-2026-0042", "guardian-1", "sms")]
    assert ledger.contacts_for(EMAIL) == [("WJ-2026-0042", "guardian-1", "email")]


async def _crash_after_provider_success(sender: LedgeredSender, ledger: Ledger, req: DeliveryRequest, rendered: Rendered) -> str:
    """The provider took the message, then the worker died before recording ``sent``."""
    entry = ledger.begin(req.key, req.case_reference, req.recipient, req.channel.value, sender.provider_name)
    assert ledger.attempting(req.key, expected_attempts=entry.attempts)
    return await sender.provider.send(req, rendered)


async def test_crash_after_success_resend_is_not_sent_twice(fake_resend: FakeResend, ledger: Ledger) -> None:
    sender = LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True)
    req = request(Channel.EMAIL, EMAIL)
    email_id = await _crash_after_provider_success(sender, ledger, req, mail())
    reference, _ = await sender.send(req, mail())
    assert reference == email_id
    assert len(fake_resend.messages) == 1
    assert ledger.get(req.key).state == DeliveryState.SENT


async def test_crash_after_success_twilio_is_found_not_resent(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=0)
    req = request(Channel.SMS, PHONE)
    sid = await _crash_after_provider_success(sender, ledger, req, sms())
    assert await sender.send(req, sms()) == (sid, True)
    assert len(fake_twilio.messages) == 1
    entry = ledger.get(req.key)
    assert entry.state == DeliveryState.SENT and entry.provider_id == sid


async def test_crash_before_twilio_got_it_is_sent_once(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=0)
    req = request(Channel.SMS, PHONE)
    ledger.begin(req.key, req.case_reference, req.recipient, "sms", "twilio")
    ledger.attempting(req.key)  # died before the request left
    sid, duplicate = await sender.send(req, sms())
    assert not duplicate and [m["sid"] for m in fake_twilio.messages] == [sid]


async def test_identical_sms_sent_for_another_key_is_not_mistaken_for_this_one(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    """Family SMS are generic, so two messages to one number can read the same. Resolving an
    unknown attempt must not claim the message another key already owns (found by the chaos run:
    the second message was marked sent and never went out)."""
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=0)
    first, second = request(Channel.SMS, PHONE, seq=1), request(Channel.SMS, PHONE, seq=2)
    first_sid, _ = await sender.send(first, sms())
    ledger.begin(second.key, second.case_reference, second.recipient, "sms", "twilio")
    ledger.attempting(second.key)  # died before the request left
    second_sid, duplicate = await sender.send(second, sms())
    assert not duplicate and second_sid != first_sid
    assert [m["sid"] for m in fake_twilio.messages] == [first_sid, second_sid]
    assert ledger.by_provider_id(second_sid).key == second.key


async def test_twilio_waits_for_a_recent_attempt_to_settle(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=30)
    req = request(Channel.SMS, PHONE)
    ledger.begin(req.key, req.case_reference, req.recipient, "sms", "twilio")
    ledger.attempting(req.key)  # another worker may be mid-request right now
    with pytest.raises(TransientDeliveryError) as info:
        await sender.send(req, sms())
    assert 25 < info.value.retry_after_seconds <= 30
    assert fake_twilio.messages == [] and not any(r["method"] == "GET" for r in fake_twilio.requests)


async def test_crash_after_success_smtp_is_uncertain(fake_smtp: FakeSmtp, ledger: Ledger) -> None:
    sender = LedgeredSender(smtp(fake_smtp), ledger, "smtp", idempotent=False, settle_seconds=0)
    req = request(Channel.EMAIL, EMAIL)
    await _crash_after_provider_success(sender, ledger, req, mail())
    for _ in range(2):  # and it stays that way: never resent automatically
        with pytest.raises(PermanentDeliveryError) as info:
            await sender.send(req, mail())
        assert info.value.kind == PermanentKind.UNCERTAIN
    assert len(fake_smtp.messages) == 1
    assert ledger.get(req.key).state == DeliveryState.UNCERTAIN


async def test_429_then_ok_sends_exactly_one(fake_twilio: FakeTwilio, fake_resend: FakeResend, ledger: Ledger) -> None:
    for sender, req, rendered, fake in [
        (LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False), request(Channel.SMS, PHONE), sms(), fake_twilio),
        (LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True), request(Channel.EMAIL, EMAIL), mail(), fake_resend),
    ]:
        fake.mode = "429"
        with pytest.raises(TransientDeliveryError):
            await sender.send(req, rendered)
        assert ledger.get(req.key).state == DeliveryState.RESERVED, "a 429 is a clear non-delivery"
        fake.mode = "ok"
        reference, duplicate = await sender.send(req, rendered)
        assert not duplicate and len(fake.messages) == 1
        assert await sender.send(req, rendered) == (reference, True)
        assert ledger.get(req.key).attempts == 2


async def _retry(sender: LedgeredSender, req: DeliveryRequest, rendered: Rendered, tries: int = 30) -> tuple[str, bool]:
    """What Temporal does: try again after transient failures."""
    for _ in range(tries):
        try:
            return await sender.send(req, rendered)
        except TransientDeliveryError:
            await asyncio.sleep(0.2)
    raise AssertionError("never delivered")


async def test_timeout_then_retry_sends_exactly_one(fake_twilio: FakeTwilio, fake_resend: FakeResend, ledger: Ledger) -> None:
    for sender, req, rendered, fake in [
        (LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=0.5), request(Channel.SMS, PHONE), sms(), fake_twilio),
        (LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True), request(Channel.EMAIL, EMAIL), mail(), fake_resend),
    ]:
        fake.mode, fake.hang_seconds = "timeout", 1.0
        with pytest.raises(TransientDeliveryError):
            await sender.send(req, rendered)
        assert ledger.get(req.key).state == DeliveryState.ATTEMPTING, "a timeout is ambiguous"
        fake.mode = "ok"
        reference, _ = await _retry(sender, req, rendered)
        assert len(fake.messages) == 1 and reference == fake.messages[0].get("sid", fake.messages[0].get("id"))
        assert ledger.get(req.key).state == DeliveryState.SENT


async def test_permanent_error_releases_the_key(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False)
    req = request(Channel.SMS, PHONE)
    fake_twilio.mode = "landline"
    with pytest.raises(PermanentDeliveryError):
        await sender.send(req, sms())
    assert ledger.get(req.key).state == DeliveryState.RESERVED


async def test_unknown_attempt_through_another_provider_is_uncertain(fake_resend: FakeResend, ledger: Ledger) -> None:
    req = request(Channel.EMAIL, EMAIL)
    ledger.begin(req.key, req.case_reference, req.recipient, "email", "smtp")
    ledger.attempting(req.key)
    sender = LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True)
    with pytest.raises(PermanentDeliveryError) as info:
        await sender.send(req, mail())
    assert info.value.kind == PermanentKind.UNCERTAIN and fake_resend.messages == []


async def test_resend_beyond_its_key_window_is_uncertain(fake_resend: FakeResend, ledger: Ledger) -> None:
    req = request(Channel.EMAIL, EMAIL)
    ledger.begin(req.key, req.case_reference, req.recipient, "email", "resend")
    ledger.attempting(req.key)
    later = LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True, clock=lambda: datetime.now(UTC) + timedelta(hours=25))
    with pytest.raises(PermanentDeliveryError) as info:
        await later.send(req, mail())
    assert info.value.kind == PermanentKind.UNCERTAIN and fake_resend.messages == []


# --- configuration --------------------------------------------------------------------------


class _Outbox:
    async def send(self, request, message):  # noqa: ANN001
        return "outbox", False


def _twilio_env(fake: FakeTwilio, tmp_path: Path) -> dict[str, str]:
    return {
        "WAYPOINT_SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM_NUMBER": fake.from_number,
        "TWILIO_API_BASE": fake.url,
        "WAYPOINT_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "WAYPOINT_CONTACT_HASH_KEY": HASH_KEY,
    }


def test_outbox_is_the_default(tmp_path: Path) -> None:
    outbox = _Outbox()
    senders, ledger = senders_for(DeliverySettings.from_env({"WAYPOINT_LEDGER_URL": "postgresql+psycopg://nowhere/x"}), outbox)
    assert senders == {Channel.SMS: outbox, Channel.EMAIL: outbox} and ledger is None  # no key: no routing


async def test_the_outbox_remembers_whom_it_wrote_to_so_replies_find_their_journey(tmp_path: Path) -> None:
    outbox = _Outbox()
    env = {"WAYPOINT_LEDGER_URL": f"sqlite:///{tmp_path}/ledger.sqlite"}
    senders, ledger = senders_for(DeliverySettings.from_env(env), outbox)
    assert ledger is not None and (tmp_path / "contact-hash.key").stat().st_mode & 0o777 == 0o600
    await senders[Channel.SMS].send(request(Channel.SMS, PHONE), sms())
    assert ledger.contacts_for(PHONE) == [("WJ-2026-0042", "guardian-1", "sms")]
    again = open_ledger(DeliverySettings.from_env(env))  # the API and the CLI open it alike: same key, same hashes
    assert again is not None and again.contacts_for(PHONE) == ledger.contacts_for(PHONE)
    again.close()
    ledger.close()


async def test_configured_providers_deliver(fake_twilio: FakeTwilio, fake_resend: FakeResend, tmp_path: Path) -> None:
    env = _twilio_env(fake_twilio, tmp_path) | {
        "WAYPOINT_EMAIL_PROVIDER": "resend",
        "RESEND_API_KEY": fake_resend.api_key,
        "RESEND_API_BASE": fake_resend.url,
        "WAYPOINT_EMAIL_FROM": "Waypoint Journeys <care@waypoint.example>",
        "WAYPOINT_STATUS_CALLBACK_BASE": "https://hooks.waypoint.example",
    }
    senders, ledger = senders_for(DeliverySettings.from_env(env), _Outbox())
    assert isinstance(ledger, Ledger)
    await senders[Channel.SMS].send(request(Channel.SMS, PHONE), sms())
    await senders[Channel.EMAIL].send(request(Channel.EMAIL, EMAIL), mail())
    assert fake_twilio.messages[0]["status_callback"] == "https://hooks.waypoint.example/twilio/status"
    assert len(fake_resend.messages) == 1 and ledger.counts()["sent"] == 2
    shown = repr(senders) + repr(ledger) + repr([s.provider for s in senders.values()])
    for secret in (fake_twilio.auth_token, fake_resend.api_key, HASH_KEY):
        assert secret not in shown
    ledger.close()


def test_smtp_configuration(tmp_path: Path) -> None:
    env = {
        "WAYPOINT_EMAIL_PROVIDER": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "2525",
        "SMTP_USERNAME": "waypoint",
        "SMTP_PASSWORD": "smtp-secret-password",
        "SMTP_SECURITY": "none",
        "WAYPOINT_EMAIL_FROM": "care@waypoint.example",
        "WAYPOINT_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "WAYPOINT_CONTACT_HASH_KEY": HASH_KEY,
    }
    outbox = _Outbox()
    senders, ledger = senders_for(DeliverySettings.from_env(env), outbox)
    assert senders[Channel.SMS] is outbox
    provider = senders[Channel.EMAIL].provider
    assert isinstance(provider, SmtpEmail) and provider.port == 2525
    assert "smtp-secret-password" not in repr(provider) + repr(senders)
    ledger.close()


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": "not-a-sid"}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_FROM_NUMBER": ""}, "TWILIO_FROM_NUMBER"),
        ({"TWILIO_FROM_NUMBER": "5550006"}, "TWILIO_FROM_NUMBER"),
        ({"TWILIO_API_BASE": "ftp://x"}, "TWILIO_API_BASE"),
        ({"WAYPOINT_CONTACT_HASH_KEY": ""}, "WAYPOINT_CONTACT_HASH_KEY"),
        ({"WAYPOINT_CONTACT_HASH_KEY": "short"}, "WAYPOINT_CONTACT_HASH_KEY"),
        ({"WAYPOINT_SMS_PROVIDER": "carrier-pigeon"}, "WAYPOINT_SMS_PROVIDER"),
        ({"WAYPOINT_EMAIL_PROVIDER": "postmark"}, "WAYPOINT_EMAIL_PROVIDER"),
        ({"WAYPOINT_EMAIL_PROVIDER": "resend"}, "RESEND_API_KEY"),
        ({"WAYPOINT_EMAIL_PROVIDER": "resend", "RESEND_API_KEY": "re_secret_value_123"}, "WAYPOINT_EMAIL_FROM"),
        ({"WAYPOINT_EMAIL_PROVIDER": "smtp", "WAYPOINT_EMAIL_FROM": "care@w.example"}, "SMTP_HOST"),
        ({"WAYPOINT_EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "SMTP_PORT": "smtp", "WAYPOINT_EMAIL_FROM": "c@w.example"}, "SMTP_PORT"),
        ({"WAYPOINT_EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "SMTP_SECURITY": "tls9", "WAYPOINT_EMAIL_FROM": "c@w.example"}, "SMTP_SECURITY"),
        (
            {"WAYPOINT_EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "SMTP_USERNAME": "u", "WAYPOINT_EMAIL_FROM": "c@w.example"},
            "SMTP_PASSWORD",
        ),
        ({"WAYPOINT_LEDGER_URL": "postgresql+psycopg://waypoint:db-secret-pw@127.0.0.1:1/ledger"}, "WAYPOINT_LEDGER_URL"),
        ({"WAYPOINT_STATUS_CALLBACK_BASE": "hooks.example"}, "WAYPOINT_STATUS_CALLBACK_BASE"),
    ],
)
def test_configuration_errors_name_the_variable_not_the_secret(tmp_path: Path, change: dict[str, str], variable: str) -> None:
    fake = type("F", (), {"account_sid": "AC" + "1" * 32, "auth_token": "twilio-secret-token-abc", "from_number": "+15005550006", "url": "https://api.twilio.com"})
    env = _twilio_env(fake, tmp_path) | change  # type: ignore[arg-type]
    with pytest.raises(ValueError) as info:
        senders_for(DeliverySettings.from_env(env), _Outbox())
    message = str(info.value)
    assert variable in message
    for secret in ("twilio-secret-token-abc", HASH_KEY, "re_secret_value_123", "db-secret-pw", "short"):
        assert secret not in message
    assert info.value.__cause__ is None  # no chained driver error that could carry the URL


def test_provider_env_is_every_delivery_setting() -> None:
    assert PROVIDER_ENV == DeliverySettings.variables()
    assert len(PROVIDER_ENV) == len(set(PROVIDER_ENV)) == 19


async def test_resend_refusal_after_an_unknown_attempt_keeps_it_pending(fake_resend: FakeResend, ledger: Ledger) -> None:
    sender = LedgeredSender(resend(fake_resend), ledger, "resend", idempotent=True)
    req = request(Channel.EMAIL, EMAIL)
    fake_resend.mode, fake_resend.hang_seconds = "timeout", 0.6
    with pytest.raises(TransientDeliveryError):
        await sender.send(req, mail())  # went out, answer lost
    first = ledger.get(req.key).pending_since
    await asyncio.sleep(0.4)
    fake_resend.mode = "429"
    with pytest.raises(TransientDeliveryError):
        await sender.send(req, mail())
    entry = ledger.get(req.key)
    assert entry.state == DeliveryState.ATTEMPTING and entry.pending_since == first, "the 429 says nothing of the first attempt"
    fake_resend.mode = "ok"
    await _retry(sender, req, mail())
    assert len(fake_resend.messages) == 1


async def test_uncertain_twilio_row_is_never_resent(fake_twilio: FakeTwilio, ledger: Ledger) -> None:
    sender = LedgeredSender(twilio(fake_twilio), ledger, "twilio", idempotent=False, settle_seconds=0)
    req = request(Channel.SMS, PHONE)
    ledger.begin(req.key, req.case_reference, req.recipient, "sms", "twilio")
    ledger.attempting(req.key)
    ledger.uncertain(req.key)
    with pytest.raises(PermanentDeliveryError) as info:
        await sender.send(req, sms())
    assert info.value.kind == PermanentKind.UNCERTAIN and fake_twilio.messages == []


# --- address headers: built by the standard library, never by string formatting --------------

HOSTILE_NAME = "Aigerim\r\nBcc: attacker@evil.example"


async def test_resend_to_header_cannot_carry_a_second_recipient(fake_resend: FakeResend) -> None:
    # A name stored before intake refused control characters reaches the provider as one
    # header line naming our recipient only.
    req = request(Channel.EMAIL, EMAIL).model_copy(update={"to_name": HOSTILE_NAME})
    await resend(fake_resend).send(req, mail())
    [sent] = fake_resend.messages
    assert sent["to"] == EMAIL
    assert "\r" not in sent["to_header"] and "\n" not in sent["to_header"] and "evil" not in sent["to_header"]


async def test_smtp_to_header_cannot_carry_a_second_recipient(fake_smtp: FakeSmtp) -> None:
    req = request(Channel.EMAIL, EMAIL).model_copy(update={"to_name": HOSTILE_NAME})
    await smtp(fake_smtp).send(req, mail())
    [record] = fake_smtp.messages
    assert record.rcpt_tos == [EMAIL]
    assert record.message["Bcc"] is None and "evil" not in str(record.message["To"])


async def test_non_latin_names_are_header_encoded(fake_resend: FakeResend, fake_smtp: FakeSmtp) -> None:
    req = request(Channel.EMAIL, EMAIL).model_copy(update={"to_name": "Айгерим Нұрланқызы"})
    await resend(fake_resend).send(req, mail())
    assert fake_resend.messages[0]["to_header"].startswith("=?utf-8?") and fake_resend.messages[0]["to"] == EMAIL
    await smtp(fake_smtp).send(req, mail())
    to = fake_smtp.messages[0].message["To"]
    assert to.addresses[0].display_name == "Айгерим Нұрланқызы" and to.addresses[0].addr_spec == EMAIL
