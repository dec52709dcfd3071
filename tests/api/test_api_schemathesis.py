"""Schemathesis against the served OpenAPI document, with the app wired to the Temporal dev server
(and a worker): no 5xx, answers match their declared schemas, status codes and content types.
Bounded: a few examples per operation, well under two minutes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.signatures import svix_key
from api.webhooks import WebhookSettings
from messaging.ledger import Ledger
from tests.support.api_harness import API_KEY, api_settings, served
from tests.conftest import ROOT, Harness, make_case


WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MAX_EXAMPLES = int(os.environ.get("WAYPOINT_SCHEMATHESIS_EXAMPLES", "25"))


async def test_schemathesis_finds_no_server_errors_and_no_schema_mismatches(dev: Harness, tmp_path: Path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", contact_hash_key="schemathesis-hash-key-0123456789")
    webhooks = WebhookSettings(twilio_auth_token="twilio-token", svix_key=svix_key(WHSEC))
    app = create_app(dev.settings, dev.journeys, ledger, api_settings(call_timeout=10.0, webhooks=webhooks))
    st = str(Path(sys.executable).with_name("st"))
    # A real journey for the operations on one journey, so they reach the workflow, not just 404.
    case = make_case()
    await dev.journeys.start(case)
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.case_reference" = "{case.case_reference}"\n')
    async with served(app) as base:
        proc = await asyncio.create_subprocess_exec(
            st, "--no-color", "run", f"{base}/openapi.json",
            "--checks", "all",
            # Valid-looking data may still be refused with a reason: a random phone number is not
            # a real number for its country, a random case reference names no journey.
            "--exclude-checks", "positive_data_acceptance",
            "--header", f"X-API-Key: {API_KEY}",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", "20260101",
            "--request-timeout", "30",
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
        except TimeoutError:
            proc.kill()
            pytest.fail("schemathesis ran longer than 4 minutes")
    text = out.decode(errors="replace")
    (ROOT / "test-output").mkdir(exist_ok=True)
    (ROOT / "test-output" / "schemathesis.txt").write_text(text)
    assert proc.returncode == 0, text[-6000:]
    ledger.close()
