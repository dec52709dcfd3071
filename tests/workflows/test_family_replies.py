"""Every reply that is not STOP/START reaches a person (issue 10, finding 3), through the real
worker and the local Twilio/Resend servers: kept for the coordinator (Today, the journey's page),
acknowledged once in the family's language, marked handled by a person."""

from __future__ import annotations

import re
import secrets

import httpx

from api.app import create_app
from domain.commands import MarkReplyHandled
from tests.support.api_harness import API_KEY, api_settings, served
from tests.support.fake_providers import fake_resend, fake_twilio  # noqa: F401
from tests.support.polling import eventually
from tests.workflows.test_delivery_journeys import EMAIL, PHONE, Wired, guardian, make_case, wired_dev  # noqa: F401
from service.inbound import handle_inbound_sms

QUESTION = "Спасибо, а когда будет ответ?"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


async def test_a_question_by_sms_reaches_the_coordinator_and_is_acknowledged_once(wired_dev: Wired):  # noqa: F811
    h = wired_dev
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: h.sms_to(PHONE))

    result = await handle_inbound_sms(h.client, h.ledger, PHONE, QUESTION)
    assert result.signalled == [ref]
    status = await eventually(lambda: _with_open_replies(h, ref))
    [reply] = status.open_replies
    assert (reply.text, reply.recipient, reply.channel.value) == (QUESTION, "guardian-1", "sms")

    # One short acknowledgement, in Russian, by SMS (the channel they wrote on).
    await eventually(lambda: len(h.sms_to(PHONE)) == 2)
    ack = h.sms_to(PHONE)[1]["body"]
    assert CYRILLIC.search(ack) and ref in ack
    await handle_inbound_sms(h.client, h.ledger, PHONE, "Алло?")
    await eventually(lambda: _open_count(h, ref, 2))
    assert len(h.sms_to(PHONE)) == 2  # no second acknowledgement while the first is open

    for open_reply in (await h.journeys.status(ref)).open_replies:
        await h.journeys.command(ref, MarkReplyHandled(reply_id=open_reply.id, by="coord-lin"))
    assert (await h.journeys.status(ref)).open_replies == []


async def test_an_email_reply_through_the_inbound_webhook_reaches_the_coordinator(wired_dev: Wired):  # noqa: F811
    h = wired_dev
    case = make_case(guardians=[guardian(channels=["email"])])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: h.emails_to(EMAIL))

    app = create_app(h.settings, h.journeys, h.ledger, api_settings())
    body = {"from": f"Aigerim <{EMAIL}>", "subject": f"Re: {ref}", "text": QUESTION + "\n\n> quoted earlier message"}
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        refused = await web.post("/webhooks/email/inbound", json=body)
        assert refused.status_code == 401
        # A body that is JSON but not an object is a clear 422 (schemathesis found a 500 here).
        for bad in ([None, None], "text", 7):
            r = await web.post("/webhooks/email/inbound", json=bad, headers={"X-API-Key": API_KEY})
            assert r.status_code == 422 and "JSON object" in r.json()["detail"], r.text
        r = await web.post("/webhooks/email/inbound", json=body, headers={"X-API-Key": API_KEY})
        assert r.status_code == 200, r.text
        assert r.json()["told"] == 1
    status = await eventually(lambda: _with_open_replies(h, ref))
    assert [(x.channel.value, x.text.startswith(QUESTION)) for x in status.open_replies] == [("email", True)]
    await eventually(lambda: len(h.emails_to(EMAIL)) == 2)
    ack = h.emails_to(EMAIL)[1]
    assert CYRILLIC.search(ack["subject"]) and CYRILLIC.search(ack["text"])


async def _with_open_replies(h: Wired, ref: str):
    status = await h.journeys.status(ref)
    return status if getattr(status, "open_replies", None) else None


async def _open_count(h: Wired, ref: str, n: int) -> bool:
    return len((await h.journeys.status(ref)).open_replies) == n
