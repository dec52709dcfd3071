"""Chaos run: journeys keep their promises while the worker is SIGKILLed at random moments and
the Temporal dev server (SQLite) is restarted with reminders pending.

    bash scripts/chaos.sh                  # defaults: 24 journeys, about 3 minutes
    bash scripts/chaos.sh --journeys 30 --seconds 240
    bash scripts/chaos.sh --cluster        # the Temporal server on PostgreSQL, two workers, one PostgreSQL ledger

With ``--cluster`` the same families run on the cluster of scripts/cluster.py (ports 21600-21699,
data in var/cluster-chaos, started afresh): each kill takes one of the two workers (the other
carries on), the Temporal server is SIGKILLed and restarted once, and PostgreSQL (Temporal's
persistence and the ledger) is restarted once.

Everything is local: a dev server on a free port with its own SQLite file, a worker process,
and local servers speaking Twilio's and Resend's protocols. Providers also fail for a stretch
(5xx, 429, a permanent invalid number for one guardian). At the end it prints the figures:
kills survived, restarts, journeys, messages expected / delivered / duplicated / lost, and exits
non-zero if anything was lost, duplicated or left in the wrong stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from temporalio.client import Client, WorkflowQueryFailedError  # noqa: E402
from temporalio.service import RPCError  # noqa: E402

from domain.case_file import CaseFile  # noqa: E402
from domain.commands import (  # noqa: E402
    AdvanceStage,
    ApplyMilestone,
    CloseJourney,
    RecordReceived,
    ReviewRecord,
)
from domain.records import RecordStatus  # noqa: E402
from domain.stages import Stage  # noqa: E402
from domain.state import MessageStatus  # noqa: E402
from messaging.ledger import Ledger  # noqa: E402
from service.client import data_converter  # noqa: E402
from service.journeys import CommandRefused, JourneyBusy, Journeys  # noqa: E402
from service.replay_check import ReplayCheck  # noqa: E402
from tests.support.delivery_count import count_deliveries  # noqa: E402
from tests.support.fake_providers import FakeResend, FakeTwilio, delivery_environment  # noqa: E402
from workflows import search_attributes as sa  # noqa: E402
from workflows.journey_types import journey_id  # noqa: E402

HASH_KEY = "chaos-hash-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, temporal: str, workdir: Path, twilio: FakeTwilio, resend: FakeResend) -> None:
        self.temporal, self.workdir = temporal, workdir
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.task_queue = "chaos"
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.restarts = 0
        self.downtime = 0.0
        self.env = {
            **os.environ,
            "TEMPORAL_ADDRESS": self.address,
            "WAYPOINT_TASK_QUEUE": self.task_queue,
            "WAYPOINT_OUTBOX_DIR": str(workdir / "outbox"),
            "WAYPOINT_LOG_LEVEL": "WARNING",
            **delivery_environment(twilio, resend, workdir / "ledger.sqlite", HASH_KEY),
        }

    def start_server(self) -> None:
        flags = sa.dev_server_flags()
        self.server = subprocess.Popen(
            [self.temporal, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port), "--headless",
             "--db-filename", str(self.workdir / "temporal.sqlite"), "--log-level", "error", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    async def wait_server(self) -> Client:
        for _ in range(240):
            try:
                return await Client.connect(self.address, data_converter=data_converter())
            except RuntimeError:
                await asyncio.sleep(0.5)
        raise SystemExit("dev server did not come up")

    async def wait_port(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise SystemExit(f"dev server did not come back within {timeout:.0f} s")

    def stop_server(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=60)

    @property
    def ledger_url(self) -> str:
        return self.env["WAYPOINT_LEDGER_URL"]

    hash_key = HASH_KEY

    def start_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            return  # already running
        self.worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=self.env, cwd=ROOT,
                                       stdout=subprocess.DEVNULL, stderr=open(self.workdir / "worker.log", "ab"))

    def kill_worker(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait()
            self.kills += 1

    def shutdown(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(timeout=30)
        if self.server and self.server.poll() is None:
            self.stop_server()


class ClusterLab:
    """The same moves on the cluster: kills alternate between its workers; the server is SIGKILLed."""

    def __init__(self, workdir: Path, twilio: FakeTwilio, resend: FakeResend, workers: int = 2) -> None:
        from scripts.cluster import Cluster, Ports  # noqa: PLC0415

        providers = delivery_environment(twilio, resend, "unused", HASH_KEY)
        for shared in ("WAYPOINT_LEDGER_URL", "WAYPOINT_CONTACT_HASH_KEY"):
            providers.pop(shared)  # the cluster's own: PostgreSQL, and its generated key
        # Portal links, as docker-compose.yml by default: family-page links differ on every retry
        # (see tests/proof/test_cluster.py).
        self.cluster = Cluster(workdir, Ports(21600), workers=workers, extra_env={
            **providers, "WAYPOINT_LOG_LEVEL": "INFO", "WAYPOINT_CASE_LINK_BASE": "https://portal.waypoint.example/case"})
        self.task_queue = self.cluster.task_queue
        self.kills = self.restarts = self.pg_restarts = 0
        self.downtime = 0.0
        self.next_victim = 1

    async def start(self) -> Client:
        if (self.cluster.pg_data / "PG_VERSION").exists():
            self.cluster.stop_postgres()  # left running by an interrupted run
        shutil.rmtree(self.cluster.data, ignore_errors=True)
        shutil.rmtree(self.cluster.pg_home, ignore_errors=True)
        return await self.cluster.up(ui=False, api=False)

    @property
    def ledger_url(self) -> str:
        return self.cluster.ledger_url

    @property
    def hash_key(self) -> str:
        return self.cluster.secrets["WAYPOINT_CONTACT_HASH_KEY"]

    def kill_worker(self) -> None:
        n = self.next_victim
        if self.cluster.alive(self.cluster.worker_name(n)):
            self.cluster.kill_worker(n)
            self.kills += 1
        self.victim = n
        self.next_victim = n % self.cluster.workers + 1

    def start_worker(self) -> None:
        for n in range(1, self.cluster.workers + 1):
            if not self.cluster.alive(self.cluster.worker_name(n)):
                self.cluster.start_worker(n)

    async def restart_server(self) -> None:
        down = time.monotonic()
        self.cluster.kill_temporal()
        self.restarts += 1
        await asyncio.sleep(3)
        self.cluster.start_temporal()
        await self.cluster.wait_temporal()
        self.downtime = time.monotonic() - down

    def restart_postgres(self) -> None:
        self.cluster.restart_postgres()
        self.pg_restarts += 1

    def shutdown(self) -> None:
        self.cluster.down()


def case_for(reference: str, index: int) -> CaseFile:
    return CaseFile.model_validate(case_data_for(reference, index))


def case_data_for(reference: str, index: int) -> dict:
    """A family whose reminders come every few seconds and who never has quiet hours (JSON form,
    as the API takes it)."""
    data = json.loads((ROOT / "examples" / "case-car-t-question.json").read_text())
    data["case_reference"] = reference
    phone = f"+7701{index:07d}"
    data["guardians"] = [{
        "name": f"Guardian {index}", "language": ["ru", "en", "zh", "ar"][index % 4], "timezone": "Asia/Almaty",
        "email": f"family{index}@example.org", "phone": phone, "channels": ["email", "sms"],
        "quiet_hours": {"start": "00:00", "end": "00:00"},
    }]
    data["local_team"]["consent"] = index % 2 == 0
    data["local_team"]["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    data["policy"] = {
        "chase": {"first_reminder_after": "PT6S", "reminder_interval": "PT6S", "escalate_after_reminders": 2,
                  "records_deadline": "PT10M"},
        "sms_caps": {"per_day": 50, "per_week": 200},
        "continue_as_new_after_events": 300,
        "batching": {"window": "PT0S"},  # messages counted one by one, not held for a burst
    }
    return data


async def retrying(what, attempts: int = 1200):
    """Calls made while the server is down are tried again until it is back."""
    for _ in range(attempts):
        try:
            return await what()
        except CommandRefused:
            raise
        except (RPCError, RuntimeError, JourneyBusy):
            await asyncio.sleep(0.5)
    raise RuntimeError("gave up after the server stayed away")


async def drive(journeys: Journeys, case: CaseFile, rng: random.Random) -> None:
    """A coordinator and a document store taking one family from records to visas."""
    ref = case.case_reference
    await asyncio.sleep(rng.uniform(8, 20))  # let some reminders and escalations happen first

    async def settle() -> None:
        status = await retrying(lambda: journeys.status(ref))
        for line in status.records:
            if line.status == RecordStatus.REQUESTED:
                await retrying(lambda t=line.record_type: journeys.report_record_received(
                    ref, RecordReceived(record_type=t, document_id=f"doc-{t.value}")))
        for _ in range(120):
            status = await retrying(lambda: journeys.status(ref))
            if all(r.status != RecordStatus.REQUESTED for r in status.records):
                break
            await asyncio.sleep(0.5)
        for line in status.records:
            if line.status == RecordStatus.RECEIVED:
                await command(journeys, ref, ReviewRecord(record_type=line.record_type, decision="accept"))

    await settle()
    await command(journeys, ref, ApplyMilestone(milestone="review_started"))
    await command(journeys, ref, ApplyMilestone(milestone="review_outcome", outcome="proceed_to_eligibility", pathway="car_t"))
    await settle()
    await command(journeys, ref, AdvanceStage(to_stage=Stage.ELIGIBILITY))
    await command(journeys, ref, ApplyMilestone(milestone="eligibility_decided", eligible=True))
    await command(journeys, ref, AdvanceStage(to_stage=Stage.VISA_TRAVEL))


async def command(journeys: Journeys, ref: str, cmd: BaseModel) -> None:
    """An update retried across outages; 'already recorded' after a retry means it landed."""
    try:
        await retrying(lambda: journeys.command(ref, cmd))
    except CommandRefused as refused:
        if "already" not in str(refused) and "cannot accept" not in str(refused) and "cannot move from" not in str(refused):
            raise


async def chaos(lab: Lab | ClusterLab, rng: random.Random, seconds: float, stop: asyncio.Event) -> None:
    deadline = time.monotonic() + seconds
    restarted = postgres_restarted = False
    while time.monotonic() < deadline and not stop.is_set():
        await asyncio.sleep(rng.uniform(2.0, 7.0))
        lab.kill_worker()
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        if not restarted and time.monotonic() > deadline - seconds * 0.6:
            if isinstance(lab, ClusterLab):
                await lab.restart_server()  # SIGKILL: reminders are pending in every open journey
            else:
                down = time.monotonic()
                lab.stop_server()  # reminders are pending in every open journey
                lab.restarts += 1
                await asyncio.sleep(3)
                lab.start_server()
                await lab.wait_port()
                lab.downtime = time.monotonic() - down
            restarted = True
        elif isinstance(lab, ClusterLab) and restarted and not postgres_restarted:
            lab.restart_postgres()
            postgres_restarted = True
        lab.start_worker()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=90.0, help="how long the killing goes on")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--cluster", action="store_true", help="on the Temporal server with PostgreSQL and two workers")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    twilio, resend = FakeTwilio().start(), FakeResend().start()
    lab: Lab | ClusterLab
    if args.cluster:
        workdir = ROOT / "var" / "cluster-chaos"
        lab = ClusterLab(workdir, twilio, resend)
    else:
        temporal = os.environ.get("WAYPOINT_TEMPORAL_BIN") or subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure-temporal.sh")], check=True, capture_output=True, text=True).stdout.strip()
        workdir = Path(tempfile.mkdtemp(prefix="waypoint-chaos-"))
        lab = Lab(temporal, workdir, twilio, resend)
    started = time.monotonic()
    try:
        if isinstance(lab, ClusterLab):
            client = await lab.start()
        else:
            lab.start_server()
            client = await lab.wait_server()
            lab.start_worker()
        journeys = Journeys(client, lab.task_queue)
        cases = [case_for(f"WJ-2026-{900000 + i}", i) for i in range(args.journeys)]
        twilio.override(cases[1].guardians[0].phone, "invalid_number")  # one permanent failure
        for case in cases:
            await retrying(lambda c=case: journeys.start(c))
        # Providers misbehave for a stretch early on.
        twilio.mode, resend.mode = "500", "429"
        stop = asyncio.Event()
        killer = asyncio.create_task(chaos(lab, rng, args.seconds, stop))
        await asyncio.sleep(10)
        twilio.mode, resend.mode = "ok", "ok"
        # Each family's script is bounded: a journey that stops answering is reported, not waited on.
        outcomes = await asyncio.gather(
            *(asyncio.wait_for(drive(journeys, c, rng), timeout=args.seconds + 300) for c in cases), return_exceptions=True
        )
        unfinished = [c.case_reference for c, r in zip(cases, outcomes, strict=True) if isinstance(r, BaseException)]
        await killer
        lab.start_worker()  # every worker that is down

        # Settle: every journey must be in visa_travel with nothing left in flight.
        wrong_stage = list(unfinished)
        for case in cases:
            if case.case_reference in unfinished:
                continue
            try:
                for _ in range(240):
                    status = await retrying(lambda c=case: journeys.status(c.case_reference))
                    busy = [m for m in await journeys.messages(case.case_reference) if m.status in (MessageStatus.SENDING,)]
                    if status.stage == Stage.VISA_TRAVEL and not busy:
                        break
                    await asyncio.sleep(0.5)
                else:
                    wrong_stage.append(case.case_reference)
            except WorkflowQueryFailedError:  # e.g. its history no longer replays: reported below
                wrong_stage.append(case.case_reference)
        for case in cases:
            if case.case_reference in wrong_stage:
                continue
            await retrying(lambda c=case: journeys.command(c.case_reference, CloseJourney(reason="other")))
        await asyncio.sleep(2)
        after_close = (len(twilio.messages), len(resend.messages))

        # Every run of every journey must replay on the current code (what a fresh worker does).
        outcomes = [o async for o in ReplayCheck().journeys(client, open_only=False, keep_failing_in=workdir)]
        runs = len(outcomes)
        not_replaying = [o.workflow_id for o in outcomes if not o.replays]

        # Figures.
        expected: set[str] = set()
        failed: set[str] = set()
        milestones_lost = 0
        continued = 0
        for case in cases:
            if journey_id(case.case_reference) in not_replaying:
                continue  # its queries cannot be answered; counted below
            continued += (await journeys.status(case.case_reference)).runs > 1
            messages = await journeys.messages(case.case_reference)
            expected |= {m.key for m in messages if m.status == MessageStatus.SENT}
            failed |= {m.key for m in messages if m.status == MessageStatus.FAILED}
            timeline = [e for e in await journeys.timeline(case.case_reference) if e.kind == "milestone"]
            got = {e.detail.get("milestone") for e in timeline}
            milestones_lost += len({"records_complete", "review_started", "review_outcome", "eligibility_decided"} - got)
        ledger = Ledger(lab.ledger_url, contact_hash_key=lab.hash_key)
        count = count_deliveries(twilio, resend, ledger, expected)
        await asyncio.sleep(3)
        after_quiet = (len(twilio.messages), len(resend.messages))
        print("\nchaos figures")
        print(f"  seed                      {args.seed}")
        print(f"  worker kills (SIGKILL)    {lab.kills} survived")
        if isinstance(lab, ClusterLab):
            print(f"  workers                   {lab.cluster.workers} on one task queue, one PostgreSQL ledger")
            print(f"  Temporal server kills     {lab.restarts} (SIGKILL; down {lab.downtime:.0f} s)")
            print(f"  PostgreSQL restarts       {lab.pg_restarts}")
        else:
            print(f"  dev server restarts       {lab.restarts} (down {lab.downtime:.0f} s)")
        print(f"  journeys                  {len(cases)} ({len(cases) - len(wrong_stage)} reached visa_travel"
              + (f"; the driver could not finish {', '.join(unfinished)}" if unfinished else "") + ")")
        print(f"  runs replayed             {runs - len(not_replaying)} of {runs}"
              + (f"  (NOT replaying: {', '.join(not_replaying)}; histories in {workdir})" if not_replaying else ""))
        print(f"  milestones lost           {milestones_lost}")
        print(f"  continued as new          {continued} journeys (kills may land around it)")
        print(f"  messages expected (sent)  {len(expected)}")
        print(f"  messages delivered        {len(count.delivered)} (provider calls: {len(twilio.messages)} SMS, {len(resend.messages)} e-mail)")
        print(f"  messages duplicated       {count.duplicated}")
        print(f"  messages lost             {len(count.lost)}")
        print(f"  sent, not by a journey    {len(count.unexpected)}")
        print(f"  permanent failures        {len(failed)} (coordinator alerted)")
        print(f"  sent after close          {after_quiet[0] - after_close[0] + after_quiet[1] - after_close[1]}")
        print(f"  ledger                    {ledger.counts()}")
        print(f"  took                      {time.monotonic() - started:.0f} s  (work dir {workdir})")
        ok = not not_replaying and not wrong_stage and milestones_lost == 0 and count.exactly_once and after_quiet == after_close
        for key in sorted(count.lost)[:5]:
            entry = ledger.get(key)
            print(f"  lost: {key} (ledger: {entry.state if entry else 'none'}, provider id {entry.provider_id if entry else '-'})")
        print("  result                    " + ("OK: nothing lost, nothing duplicated" if ok else "FAILED"))
        ledger.close()
        return 0 if ok else 1
    finally:
        lab.shutdown()
        twilio.stop()
        resend.stop()


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    os._exit(code)
