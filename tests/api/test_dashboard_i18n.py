"""The dashboard's words (issue 10): from the catalogs, codes named in words, dates in the
coordinator's own time zone."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

import httpx

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from api.dashboard.i18n import Words
from tests.conftest import Harness, make_case
from tests.support.api_harness import api_settings, served

PASSWORD = "a long dev password " + secrets.token_hex(4)


def test_a_moment_is_shown_in_the_coordinators_zone():
    moment = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert Words("zh", "Asia/Shanghai").when(moment) == "2026-12-04 07:30 (Asia/Shanghai)"
    assert Words("en", "Asia/Almaty").when(moment).startswith("2026-12-04 04:30")
    assert Words("en").when(moment) == "2026-12-03 23:30 (UTC)"


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
