"""Display strings (names, notes) refused at intake when they carry control characters,
bidirectional overrides or nothing visible: 422 over HTTP and exit 2 from the CLI, naming the
field and never the value; nothing is started or changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.service import RPCError

from api.app import create_app
from tests.api.test_starter_cli import cli, one_clear_line, write_case
from tests.conftest import Harness, case_data
from tests.support.api_harness import API_KEY, api_settings, served

HOSTILE = {
    "CR/LF and a header": "Aigerim\r\nBcc: attacker@evil.example",
    "a C1 control": "Aigerim\x85Nurlan",
    "a NUL": "Aigerim\x00",
    "a right-to-left override": "Aigerim \u202egpj.exe",
    "an isolate": "Aigerim \u2066x\u2069",
    "only invisible characters": "\u200b\u2060\u200b",
    "only a Hangul filler": "\u3164",
    "a line separator": "Aigerim\u2028Bcc",
}
FINE = ["Айгерим Нұрланқызы", "عائشة بنت محمد", "李小龙", "Zoë O'Brien-Smith", "Aigerim\u200dNurlan"]


@pytest_asyncio.fixture
async def http(dev: Harness) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dev.settings, dev.journeys, None, api_settings())
    async with served(app) as base, httpx.AsyncClient(base_url=base, headers={"X-API-Key": API_KEY}, timeout=30) as c:
        yield c


def _with_guardian_name(name: str) -> dict:
    data = case_data()
    data["guardians"][0]["name"] = name
    return data


@pytest.mark.parametrize("kind", sorted(HOSTILE))
async def test_a_hostile_guardian_name_is_refused_over_http_naming_the_field(http: httpx.AsyncClient, dev: Harness,
                                                                           kind: str):
    data = _with_guardian_name(HOSTILE[kind])
    r = await http.post("/journeys", json=data)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "guardians.0.name" in detail and "Aigerim" not in detail
    with pytest.raises(RPCError):  # NOT_FOUND: nothing was started
        await dev.journeys.handle(data["case_reference"]).describe()


async def test_the_local_team_name_and_a_note_are_held_to_the_same_rule(http: httpx.AsyncClient, dev: Harness):
    data = case_data()
    data["local_team"]["name"] = "Clinic\u202e"
    r = await http.post("/journeys", json=data)
    assert r.status_code == 422 and "local_team.name" in r.json()["detail"]
    started = case_data()
    assert (await http.post("/journeys", json=started)).status_code == 201
    ref = started["case_reference"]
    dev.journeys.started.append(ref)
    r = await http.post(f"/journeys/{ref}/pause", json={"reason": "other", "note": "call back\x1b[2J"})
    assert r.status_code == 422 and "note" in r.json()["detail"]
    assert not (await http.get(f"/journeys/{ref}")).json()["paused"]
    # A note may run over several lines.
    r = await http.post(f"/journeys/{ref}/pause", json={"reason": "other", "note": "call back\nafter 18:00"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("name", FINE)
async def test_names_in_any_script_are_accepted(http: httpx.AsyncClient, dev: Harness, name: str):
    data = _with_guardian_name(name)
    r = await http.post("/journeys", json=data)
    assert r.status_code == 201, r.text
    dev.journeys.started.append(data["case_reference"])


async def test_the_cli_refuses_a_hostile_name_with_exit_2_naming_the_field(dev: Harness, tmp_path: Path):
    data = _with_guardian_name(HOSTILE["CR/LF and a header"])
    line = one_clear_line(await cli(dev, "start", write_case(tmp_path, data)))
    assert "guardians.0.name" in line and "attacker" not in line
    with pytest.raises(RPCError):  # NOT_FOUND: nothing was started
        await dev.journeys.handle(data["case_reference"]).describe()
