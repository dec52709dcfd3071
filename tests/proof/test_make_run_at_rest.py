"""`make run` (scripts/run.sh) as a newcomer starts it, on free ports and a fresh data folder:
payloads are encrypted from the first journey with a local key made once (0600), the data
folder and everything in it are private to the user, and the Temporal UI it starts decodes
through the codec server it starts, which refuses anyone without the local token."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shlex
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from tests.conftest import ROOT, case_data
from tests.support.polling import eventually

pytestmark = pytest.mark.temporal  # its own dev server, started by run.sh


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    data: Path
    api: str
    ui: str
    temporal: str
    log: Path

    def env_file(self, name: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in (self.data / name).read_text().splitlines():
            if line and not line.startswith("#"):
                key, _, raw = line.partition("=")
                values[key] = shlex.split(raw)[0] if raw else ""
        return values


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    ports = {name: _free_port() for name in ("temporal", "ui", "api", "codec")}
    data = tmp_path / "var"
    env = {**os.environ, "WAYPOINT_DATA_DIR": str(data), "WAYPOINT_TEMPORAL_PORT": str(ports["temporal"]),
           "WAYPOINT_UI_PORT": str(ports["ui"]), "WAYPOINT_API_PORT": str(ports["api"]),
           "WAYPOINT_CODEC_PORT": str(ports["codec"]), "WAYPOINT_LOG_LEVEL": "WARNING"}
    for name in ("WAYPOINT_PAYLOAD_KEYS", "WAYPOINT_API_KEYS", "WAYPOINT_COORDINATORS", "WAYPOINT_SESSION_SECRET",
                 "TEMPORAL_ADDRESS", "WAYPOINT_OUTBOX_DIR"):
        env.pop(name, None)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{ports['api']}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{api}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        yield Stack(data, api, f"http://127.0.0.1:{ports['ui']}", f"127.0.0.1:{ports['temporal']}", log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # run.sh's own group: the server, worker, API, codec server
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


async def test_make_run_seals_payloads_keeps_data_private_and_the_ui_decodes_with_the_local_token(stack: Stack):
    key = stack.env_file("dev-api.env")["WAYPOINT_DEV_API_KEY"]
    case = case_data()
    marker = f"family-{secrets.token_hex(6)}@example.kz"
    case["guardians"][0]["email"] = marker
    async with httpx.AsyncClient(base_url=stack.api, headers={"X-API-Key": key}, timeout=60) as http:
        r = await http.post("/journeys", json=case)
        assert r.status_code == 201, r.text
        ref = case["case_reference"]
        await eventually(lambda: _started(http, ref), timeout=60)

    # Nothing personal in clear under the data folder (database, WAL, logs), but for the outbox:
    # the local stand-in for the providers, where each message is written out for reading.
    needle = marker.encode()
    outbox = stack.data / "outbox"
    clear = [p.name for p in stack.data.rglob("*")
             if p.is_file() and not p.is_relative_to(outbox) and needle in p.read_bytes()]
    assert clear == [], f"{marker} in clear in {clear}"

    # The folder and what it holds are the user's alone; the key file is 0600.
    assert stat.S_IMODE(stack.data.stat().st_mode) == 0o700
    assert stat.S_IMODE((stack.data / "local-keys.env").stat().st_mode) == 0o600
    shared = [str(p.relative_to(stack.data)) for p in [stack.data, *stack.data.rglob("*")] if not _private(p)]
    assert shared == []

    # The UI started by make run names a codec endpoint, which decodes what the server stores.
    async with httpx.AsyncClient(timeout=30) as http:
        ui = (await http.get(f"{stack.ui}/api/v1/settings")).json()
        endpoint = ui["Codec"]["Endpoint"]
        assert endpoint.startswith("http://127.0.0.1:")
        raw = await Client.connect(stack.temporal)  # no codec: what anyone reading the server sees
        started = [e async for e in raw.get_workflow_handle(f"journey-{ref}").fetch_history_events()][0]
        sealed = started.workflow_execution_started_event_attributes.input
        assert needle not in sealed.SerializeToString()
        body = json_format.MessageToJson(sealed)
        opened = await http.post(f"{endpoint}/decode", content=body,
                                 headers={"Content-Type": "application/json", "Origin": stack.ui})
        assert opened.status_code == 200 and opened.headers.get("access-control-allow-origin") == stack.ui
        [payload] = json_format.ParseDict(opened.json(), Payloads()).payloads
        assert marker in payload.data.decode()
        # Without the local token: refused, nothing shown.
        codec_base = endpoint.split("/ui/")[0]
        for url in (f"{codec_base}/decode", f"{codec_base}/ui/{base64.urlsafe_b64encode(b'guess').decode()}/decode"):
            denied = await http.post(url, content=body, headers={"Content-Type": "application/json"})
            assert denied.status_code == 401 and marker not in denied.text


async def _started(http: httpx.AsyncClient, ref: str) -> bool:
    r = await http.get(f"/journeys/{ref}/messages")
    return r.status_code == 200 and any(m["status"] == "sent" for m in json.loads(r.text))
