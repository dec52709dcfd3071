"""Every word the dashboard shows by key exists: a reason, a 'done' note or an error message
with no words is a defect caught here, not a code shown to a coordinator."""

from __future__ import annotations

import pytest

from api.dashboard.i18n import MESSAGES, Words
from api.dashboard.routes import _DONE
from domain.digest import TIMEKEEPING_ALERTS


def test_every_reason_and_done_note_has_words():
    reasons = {"r_escalated", "r_overdue", "r_deadline", "r_delivery", "r_visa", "r_ready", "r_appointment_soon",
               *(f"r_{kind.value}" for kind in TIMEKEEPING_ALERTS)}
    assert reasons <= set(MESSAGES)
    assert _DONE <= set(MESSAGES)
    assert {"csrf", "not_found", "unavailable", "bad_login"} <= set(MESSAGES)  # error pages


def test_a_mistyped_key_is_an_error_not_its_code():
    with pytest.raises(KeyError):
        Words("en").word("r_escalatd")
    assert Words("zh").word("r_escalated") != "r_escalated"
def test_words_chosen_at_run_time_are_translated():
    assert Words("zh").word("r_ready") == "资料已齐，待评估"
    assert Words("en").word("r_ready") == "records ready for review"
    assert Words("zh").label("milestones", "review_outcome") != "review_outcome"


async def test_a_chinese_journey_page_in_shanghai_time_names_codes_in_words(dev: Harness):
    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "zh", "Asia/Shanghai")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    case = make_case(coordinator={"id": "coord-lin"}, pathway="car_t")
    await dev.journeys.start(case)
    ref = case.case_reference
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        page = await web.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD, "csrf_token": token})
        page = await web.get(f"/dashboard/journeys/{ref}")
    assert page.status_code == 200
    html = page.text
    assert 'lang="zh-Hans"' in html and "治疗路径" in html  # "pathway": one word, the coordinator's
    assert "(Asia/Shanghai)" in html and " UTC" not in html
    # Requirements and message events are words, not codes.
    for code in ("review_outcome", "eligibility_decided", "record_request", "proceed_to_eligibility"):
        assert f">{code}" not in html and f"({code}" not in html and f" {code}" not in html, code


async def test_a_familys_reply_is_read_and_marked_handled_on_the_dashboard(dev: Harness):
    from domain.commands import FamilyReply
    from tests.support.polling import eventually

    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "en", "Asia/Almaty")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    case = make_case(coordinator={"id": "coord-lin"})
    ref = case.case_reference
    await dev.journeys.start(case)
    question = "Спасибо, а когда будет ответ?"
    await dev.journeys.signal(ref, FamilyReply(recipient="guardian-1", channel="sms", text=question))
    await eventually(lambda: _has_open_reply(dev, ref))
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        page = await web.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD, "csrf_token": token})
        today = await web.get("/dashboard/")
        assert ref in today.text and "the family wrote to us" in today.text
        page = await web.get(f"/dashboard/journeys/{ref}")
        assert question in page.text
        reply_id = re.search(r'name="reply_id" value="([^"]+)"', page.text).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = await web.post(f"/dashboard/journeys/{ref}/replies", data={"reply_id": reply_id, "csrf_token": token})
        assert r.status_code == 303
        page = await web.get(f"/dashboard/journeys/{ref}?done=mark-reply-handled")
        assert question not in page.text and "Reply marked handled." in page.text
    assert (await dev.journeys.status(ref)).open_replies == []


async def _has_open_reply(h: Harness, ref: str) -> bool:
    return bool((await h.journeys.status(ref)).open_replies)
