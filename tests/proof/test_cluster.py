"""The cluster, proven: the real Temporal server on PostgreSQL, two workers and the API sharing
one PostgreSQL ledger (scripts/cluster.py, what `make cluster` runs), with the local Twilio and
Resend servers as providers.

Journeys are started through the API and driven to visas while one worker is SIGKILLed, the
Temporal server is killed and restarted, and PostgreSQL is restarted. Then: every journey
arrives; every message the journeys record as sent was accepted exactly once by a provider and
is ``sent`` in the PostgreSQL ledger; no message was delivered by both workers (each worker's
log names what it delivered); the metrics and health endpoints answer with real figures.

100 consecutive free ports found at the start (below 32767); data in var/cluster-proof (started afresh each run).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import httpx
import pytest

from domain.commands import CloseJourney
from domain.stages import Stage
from domain.state import MessageStatus
from messaging.ledger import Ledger
from scripts.chaos import case_data_for, case_for, command, drive, retrying
from scripts.cluster import Cluster, Ports
from service.journeys import Journeys
from tests.support.delivery_count import count_deliveries
from tests.support.fake_providers import FakeResend, FakeTwilio, delivery_environment

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "var" / "cluster-proof"
JOURNEYS = 8
# Messages carry family-page links (make cluster's default). A retried delivery renders the same
# link as the first attempt (the token comes from the message's key, messaging/links.py), so a
# retry after a crash between the provider's answer and the ledger write still matches it: Resend
# takes the same payload under its idempotency key, and a Twilio lookup by text finds it. This
# test once ran with an organisation's portal because a fresh token per render broke exactly that.


def fresh_cluster(extra_env: dict[str, str]) -> Cluster:
    ports = Ports.free()  # another run on this machine may hold any fixed range
    cluster = Cluster(DATA, ports, workers=2, extra_env=extra_env)
    if (cluster.pg_data / "PG_VERSION").exists():
        cluster.stop_postgres()  # left running by an interrupted run
    shutil.rmtree(DATA, ignore_errors=True)
    shutil.rmtree(cluster.pg_home, ignore_errors=True)
    return Cluster(DATA, ports, workers=2, extra_env=extra_env)


def delivered_by(cluster: Cluster, n: int) -> Counter[str]:
    """Keys this worker's JSON log says it handed to a provider (``delivery sent: <key>``)."""
    sent: Counter[str] = Counter()
    for path in sorted(cluster.logs.glob(f"{cluster.worker_name(n)}.log*")):
        for line in path.read_text().splitlines():
            message = json.loads(line)["message"]
            if found := re.fullmatch(r"delivery sent: (\S+)", message):
                sent[found.group(1)] += 1
    return sent


def metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


async def test_journeys_arrive_and_every_message_goes_out_once_through_kills_and_restarts() -> None:
    twilio, resend = FakeTwilio().start(), FakeResend().start()
    providers = delivery_environment(twilio, resend, "unused")
    for shared in ("WAYPOINT_LEDGER_URL", "WAYPOINT_CONTACT_HASH_KEY"):
        providers.pop(shared)  # the cluster's own: PostgreSQL, and its generated key
    cluster = fresh_cluster({**providers, "WAYPOINT_LOG_LEVEL": "INFO"})
    try:
        client = await cluster.up()
        api_key = cluster.dev_credentials["WAYPOINT_DEV_API_KEY"]
        journeys = Journeys(client, cluster.task_queue)
        cases = [case_data_for(f"WJ-2026-{950000 + i}", i) for i in range(JOURNEYS)]
        async with httpx.AsyncClient(base_url=cluster.api_url, headers={"X-API-Key": api_key}, timeout=30) as api:
            for case in cases:
                answer = await api.post("/journeys", json=case)
                assert answer.status_code == 201, answer.text
            refs = [c["case_reference"] for c in cases]
            families = [asyncio.create_task(drive(journeys, case_for(ref, i), random.Random(i))) for i, ref in enumerate(refs)]

            # The chaos: one worker SIGKILLed, the Temporal server killed and restarted, PostgreSQL restarted.
            await asyncio.sleep(6)
            cluster.kill_worker(1)
            await asyncio.sleep(4)
            cluster.kill_temporal()
            await asyncio.sleep(3)
            cluster.start_temporal()
            await cluster.wait_temporal()
            await asyncio.sleep(4)
            cluster.restart_postgres()
            await asyncio.sleep(2)
            cluster.start_worker(1)  # two workers again for the rest of the journeys

            await asyncio.wait_for(asyncio.gather(*families), timeout=600)
            for ref in refs:
                for _ in range(240):
                    status = await retrying(lambda r=ref: journeys.status(r))
                    busy = [m for m in await retrying(lambda r=ref: journeys.messages(r)) if m.status == MessageStatus.SENDING]
                    if status.stage == Stage.VISA_TRAVEL and not busy:
                        break
                    await asyncio.sleep(0.5)
                assert status.stage == Stage.VISA_TRAVEL, f"{ref} stopped in {status.stage}"
                answer = await api.get(f"/journeys/{ref}")
                assert answer.status_code == 200 and answer.json()["stage"] == Stage.VISA_TRAVEL.value

            # Health and metrics, with real figures.
            ready = (await api.get("/healthz/ready")).json()
            assert ready == {"status": "ready", "checks": {"temporal": "ok", "ledger": "ok"}}
            for n in (1, 2):
                worker = await api.get(f"http://127.0.0.1:{cluster.ports.worker_health(n)}/healthz/ready")
                assert worker.status_code == 200, worker.text
                assert worker.json()["checks"] == {"temporal": "ok", "polling": "ok", "ledger": "ok"}
            scraped = (await api.get(f"http://127.0.0.1:{cluster.ports.worker_metrics(2)}/metrics")).text

        # A coordinator signs in: the dashboard's sessions and sign-in brake live on PostgreSQL.
        async with httpx.AsyncClient(base_url=cluster.api_url, timeout=30) as web:
            page = await web.get("/dashboard/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None, page.text[:200]
            signed_in = await web.post("/dashboard/login", data={
                "csrf_token": token.group(1), "account": "coord-lin",
                "password": cluster.dev_credentials["WAYPOINT_DEV_PASSWORD"]})
            assert signed_in.status_code == 303, signed_in.text[:200]
            assert (await web.get("/dashboard/")).status_code == 200

        for ref in refs:
            await command(journeys, ref, CloseJourney(reason="other"))
        expected = {m.key for ref in refs for m in await journeys.messages(ref) if m.status == MessageStatus.SENT}
        ledger = Ledger(cluster.ledger_url, contact_hash_key=cluster.secrets["WAYPOINT_CONTACT_HASH_KEY"])
        try:
            count = count_deliveries(twilio, resend, ledger, expected)
        finally:
            ledger.close()
        assert len(expected) >= JOURNEYS * 4, f"too few messages to prove anything: {len(expected)}"
        assert not count.lost, f"lost: {sorted(count.lost)[:5]}"
        assert count.duplicated == 0, f"duplicated: {[k for k, n in count.accepted.items() if n > 1][:5]}"
        assert not count.unexpected, f"delivered but not recorded by a journey: {sorted(count.unexpected)[:5]}"
        assert count.exactly_once, f"ledger states of the sent messages: {dict(count.ledger_states)}"
        family_link = f"{cluster.api_url}/family/"
        assert any(family_link in (m["body"] or "") for m in twilio.messages), "SMS should carry family-page links"
        assert any(family_link in (m["text"] or "") for m in resend.messages), "e-mails should carry family-page links"

        one, two = delivered_by(cluster, 1), delivered_by(cluster, 2)
        assert not set(one) & set(two), f"delivered by both workers: {sorted(set(one) & set(two))[:5]}"
        assert max(one.values(), default=1) == 1 and max(two.values(), default=1) == 1
        assert one and two, "both workers should have delivered messages"
        assert (set(one) | set(two)) <= expected

        assert metric(scraped, "waypoint_messages") > 0
        assert metric(scraped, "temporal_request") > 0  # the SDK's own series are served too
        assert "waypoint_ledger_deliveries" in scraped and "waypoint_journeys" in scraped
    finally:
        cluster.down()
        twilio.stop()
        resend.stop()
