"""What families and teams receive, whole journeys through the real worker and the local provider
servers (issue 10): the holder named per item."""

from __future__ import annotations

from tests.support.polling import eventually
from tests.workflows.test_delivery_journeys import EMAIL, Wired, guardian, make_case, wired_dev  # noqa: F401
from tests.support.fake_providers import fake_resend, fake_twilio  # noqa: F401


async def test_a_mixed_request_names_the_holder_of_each_item(wired_dev: Wired):  # noqa: F811
    h = wired_dev
    # The car-t example: the local team (no consent yet) holds most records, the family holds
    # the blood counts and the passport copy.
    case = make_case(guardians=[guardian(language="en", channels=["email"])])
    await h.journeys.start(case)
    await eventually(lambda: h.emails_to(EMAIL))
    [request] = h.emails_to(EMAIL)
    text = request["text"]
    team_sentence = text.index("held by your child's treating team at home")
    assert text.index("- Recent blood counts") < team_sentence
    assert text.index("- Pathology report") > team_sentence
    assert text.index("- Bone marrow report") > team_sentence


async def test_an_sms_too_long_to_fit_goes_by_email_and_the_coordinator_is_told(dev_env, tmp_path, fake_twilio, fake_resend):  # noqa: F811
    import uuid

    from domain.state import MessageStatus
    from service.config import Settings
    from tests.workflows.test_delivery_journeys import PHONE, _wired

    # A link base far beyond what the configuration allows (model_copy skips validation).
    settings = Settings(task_queue=f"tq-{uuid.uuid4()}", outbox_dir=tmp_path / "outbox").model_copy(
        update={"case_link_base": "https://portal.waypoint.example/" + "c" * 200})
    async for h in _wired(dev_env, settings, tmp_path, fake_twilio, fake_resend):
        case = make_case(guardians=[guardian()])
        ref = case.case_reference
        await h.journeys.start(case)

        async def alerted(h=h, ref=ref):  # bound now: the loop variable moves on
            messages = await h.journeys.messages(ref)
            return [m for m in messages if m.event.value == "coordinator_alert" and m.status == MessageStatus.SENT]
        await eventually(alerted, timeout=30)
        messages = await h.journeys.messages(ref)
        sms = [m for m in messages if m.channel.value == "sms" and m.event.value == "record_request"]
        assert [(m.status, m.outcome) for m in sms] == [(MessageStatus.FAILED, "sms_too_long")]
        assert not h.sms_to(PHONE)  # nothing of three segments or more went out
        email = [m for m in messages if m.channel.value == "email" and m.event.value == "record_request"
                 and m.recipient == "guardian-1"]
        assert [m.status for m in email] == [MessageStatus.SENT]
        [alert] = await alerted()
        assert alert.params["alert"] == "delivery_failed" and alert.params["failure"] == "sms_too_long"


async def test_a_rejection_made_while_paused_is_explained_on_resume(wired_dev: Wired):  # noqa: F811
    from domain.commands import PauseJourney, RecordReceived, ResumeJourney, ReviewRecord

    h = wired_dev
    case = make_case(guardians=[guardian(language="en", channels=["email"])], record_holders={"imaging": "family"})
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: h.emails_to(EMAIL))
    await h.journeys.command(ref, PauseJourney(reason="family_needs_time"))
    await h.journeys.report_record_received(ref, RecordReceived(record_type="imaging", document_id="img-1"))
    await eventually(lambda: _status_of(h, ref, "imaging", "received"))
    await h.journeys.command(ref, ReviewRecord(record_type="imaging", decision="reject", reason="illegible"))
    before = len(h.emails_to(EMAIL))
    await h.journeys.command(ref, ResumeJourney())
    await eventually(lambda: len(h.emails_to(EMAIL)) > before)
    asked_again = h.emails_to(EMAIL)[-1]["text"]
    assert "- Imaging reports" in asked_again and "reason: not legible" in asked_again


async def _status_of(h: Wired, ref: str, record: str, status: str) -> bool:
    lines = (await h.journeys.status(ref)).records
    return any(r.record_type.value == record and r.status.value == status for r in lines)
