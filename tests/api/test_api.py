"""The HTTP API over real HTTP (uvicorn on a socket) against the Temporal CLI dev server."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.keys import KeyRing, hash_key
from tests.support.polling import eventually
from tests.support.api_harness import API_KEY, OTHER_KEY, api_settings, served
from tests.conftest import ROOT, Harness, case_data



@dataclass
class Api:
    http: httpx.AsyncClient  # carries a valid key
    anon: httpx.AsyncClient  # carries none
    harness: Harness
    base: str

    async def history_length(self, ref: str) -> int:
        events = [e async for e in self.harness.journeys.handle(ref).fetch_history_events()]
        return len(events)

    async def settled(self, ref: str) -> bool:
        """Started, and nothing in flight (first deliveries done): its history only grows again
        when something happens to it."""
        if (await self.http.get(f"/journeys/{ref}")).status_code != 200:
            return False
        description = (await self.harness.journeys.handle(ref).describe()).raw_description
        return not description.pending_activities and not description.HasField("pending_workflow_task")


@pytest_asyncio.fixture
async def api(dev: Harness) -> AsyncIterator[Api]:
    app = create_app(dev.settings, dev.journeys, None, api_settings())
    async with served(app) as base:
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": API_KEY}, timeout=30) as http, \
                httpx.AsyncClient(base_url=base, timeout=30) as anon:
            yield Api(http, anon, dev, base)


async def _exists(api: Api, ref: str) -> bool:
    try:
        await api.harness.journeys.handle(ref).describe()
        return True
    except Exception:  # noqa: BLE001 - RPCError NOT_FOUND
        return False


# --- authentication ------------------------------------------------------------------------------


async def test_every_api_route_refuses_a_request_without_a_valid_key_and_changes_nothing(api: Api):
    data = case_data()
    ref = data["case_reference"]
    spec = (await api.anon.get("/openapi.json")).json()
    paths = [(m.upper(), p.replace("{case_reference}", ref)) for p, ops in spec["paths"].items()
             for m in ops if p.startswith("/journeys")]
    assert len(paths) >= 14
    bodies = {"/journeys": data}
    for key in (None, "", "wpk_not-a-key", API_KEY + "x", API_KEY.upper()):
        headers = {} if key is None else {"X-API-Key": key}
        for method, path in paths:
            r = await api.anon.request(method, path, headers=headers, json=bodies.get(path, {"granted": True}))
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json() == {"detail": "missing or invalid API key (send it in the X-API-Key header)"}
    # Even a body that is malformed, oversized or of the wrong type gets 401 first.
    assert (await api.anon.post("/journeys", content=b"{not json", headers={"content-type": "application/json"})).status_code == 401
    assert (await api.anon.post("/journeys", content=b"x" * 200_000)).status_code == 401
    assert (await api.anon.post("/journeys", content=b"a=b", headers={"content-type": "text/plain"})).status_code == 401
    # An unknown path without a key is 401 too (nothing is revealed); with a key it is 404.
    assert (await api.anon.get("/admin")).status_code == 401
    assert (await api.http.get("/admin")).status_code == 404
    assert not await _exists(api, ref)


async def test_several_keys_work_and_a_revoked_key_stops_working(api: Api):
    for key in (API_KEY, OTHER_KEY):
        r = await api.anon.get("/journeys", headers={"X-API-Key": key})
        assert r.status_code == 200
    # Revoking = removing the key's line; a new app with the shorter list refuses the old key.
    revoked = KeyRing({"test-backend": hash_key(API_KEY)})
    app = create_app(api.harness.settings, api.harness.journeys, None, api_settings(keys=revoked))
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/journeys", headers={"X-API-Key": OTHER_KEY})).status_code == 401
        assert (await client.get("/journeys", headers={"X-API-Key": API_KEY})).status_code == 200


def test_keys_are_stored_hashed_and_the_cli_prints_a_working_line():
    out = subprocess.run([sys.executable, "-m", "api.keys", "new", "billing-crm"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    key = out.split("key (give it to the caller; it is not stored anywhere): ")[1].split()[0]
    line = out.split("line for WAYPOINT_API_KEYS: ")[1].strip()
    assert key not in line and line == f"billing-crm:{hash_key(key)}"
    ring = KeyRing.load(line + ", other:" + "0" * 64)
    assert ring.verify(key) == "billing-crm"
    assert ring.verify(key[:-1]) is None and ring.verify(None) is None
    assert key not in repr(ring) and hash_key(key) not in repr(ring)
    with pytest.raises(ValueError, match="name:sha256hex"):
        KeyRing.parse("billing-crm:" + key)  # a raw key where a hash belongs
    assert subprocess.run([sys.executable, "-m", "api.keys", "new", "Bad Name"], cwd=ROOT,
                          capture_output=True).returncode == 2


def test_keys_can_come_from_a_file(tmp_path):
    keyfile = tmp_path / "api-keys"
    keyfile.write_text(f"# backends\ncrm:{hash_key('k1')}\ndocstore:{hash_key('k2')}  # revoke by deleting\n")
    ring = KeyRing.load(str(keyfile))
    assert ring.verify("k2") == "docstore" and ring.verify("k3") is None


# --- starting and reading -------------------------------------------------------------------------


async def test_start_is_idempotent_on_the_case_reference(api: Api):
    data = case_data()
    ref = data["case_reference"]
    first = await api.http.post("/journeys", json=data)
    assert first.status_code == 201, first.text
    assert first.json() == {"case_reference": ref, "workflow_id": f"journey-{ref}", "created": True}
    changed = dict(data, review_question="options_not_considered")
    again = await api.http.post("/journeys", json=changed)
    assert again.status_code == 200 and again.json()["created"] is False
    status = (await api.http.get(f"/journeys/{ref}")).json()
    assert status["case_reference"] == ref and status["stage"] == "remote_review"
    listed = await eventually(lambda: _listed(api, ref))
    assert len(listed) == 1


async def _listed(api: Api, ref: str, **params: str) -> list[dict]:
    r = await api.http.get("/journeys", params=params)
    assert r.status_code == 200
    return [j for j in r.json() if j["case_reference"] == ref]


async def test_a_backend_runs_a_whole_second_opinion_journey_over_http(api: Api):
    data = case_data(pathway="second_opinion")
    ref = data["case_reference"]
    assert (await api.http.post("/journeys", json=data)).status_code == 201

    outstanding = (await api.http.get(f"/journeys/{ref}/records", params={"outstanding": "true"})).json()
    assert outstanding and all(r["status"] == "requested" for r in outstanding)
    everything = (await api.http.get(f"/journeys/{ref}/records")).json()
    assert len(everything) > len(outstanding)  # the record in hand is listed, accepted

    first, *rest = [r["record_type"] for r in outstanding]
    r = await api.http.post(f"/journeys/{ref}/records/received", json={"record_type": first, "document_id": "doc-1"})
    assert r.status_code == 202, r.text
    await eventually(lambda: _record_status(api, ref, first, "received"))
    r = await api.http.post(f"/journeys/{ref}/records/decisions", json={"record_type": first, "decision": "accept"})
    assert r.status_code == 200, r.text
    for record_type in rest:
        r = await api.http.post(f"/journeys/{ref}/records/decisions",
                                json={"record_type": record_type, "decision": "waive", "by": "coord-lin"})
        assert r.status_code == 200, r.text

    r = await api.http.post(f"/journeys/{ref}/milestones", json={"milestone": "review_started"})
    assert r.status_code == 200, r.text
    r = await api.http.post(f"/journeys/{ref}/milestones",
                            json={"milestone": "review_outcome", "outcome": "remote_advice_only"})
    assert r.status_code == 200, r.text
    r = await api.http.post(f"/journeys/{ref}/stage", json={"to_stage": "follow_up"})
    assert r.status_code == 200 and r.json()["stage"] == "follow_up"

    r = await api.http.post(f"/journeys/{ref}/pause", json={"reason": "family_needs_time"})
    assert r.status_code == 200 and r.json()["paused"] is True
    r = await api.http.post(f"/journeys/{ref}/resume", json={})
    assert r.status_code == 200 and r.json()["paused"] is False
    r = await api.http.post(f"/journeys/{ref}/consent", json={"granted": True})
    assert r.status_code == 200, r.text
    r = await api.http.post(f"/journeys/{ref}/channel-preferences",
                            json={"recipient": "guardian-1", "channel": "sms", "opted_out": True})
    assert r.status_code == 200, r.text
    status = (await api.http.get(f"/journeys/{ref}")).json()
    assert status["local_team_consent"] is True and status["opted_out"] == {"guardian-1": ["sms"]}

    r = await api.http.post(f"/journeys/{ref}/close", json={"reason": "completed"})
    assert r.status_code == 200 and r.json()["closed"] is True and r.json()["close_reason"] == "completed"

    kinds = [e["kind"] for e in (await api.http.get(f"/journeys/{ref}/timeline")).json()]
    assert kinds[0] == "journey_started" and "stage_changed" in kinds and kinds[-1] == "closed"
    messages = (await api.http.get(f"/journeys/{ref}/messages")).json()
    assert messages and {"key", "status", "delivery", "channel", "recipient"} <= set(messages[0])
    assert not [m for m in messages if m["status"] == "scheduled"]
    # Closed: every further command is refused, and a record report too.
    r = await api.http.post(f"/journeys/{ref}/pause", json={"reason": "other"})
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    r = await api.http.post(f"/journeys/{ref}/records/received", json={"record_type": first, "document_id": "doc-2"})
    assert r.status_code == 409


async def _record_status(api: Api, ref: str, record_type: str, status: str) -> bool:
    records = (await api.http.get(f"/journeys/{ref}/records")).json()
    return any(r["record_type"] == record_type and r["status"] == status for r in records)


async def test_listing_filters_by_stage_pathway_coordinator_and_overdue(api: Api):
    data = case_data(pathway="car_t", coordinator={"id": f"coord-{uuid.uuid4().hex[:8]}"})
    ref, coordinator = data["case_reference"], data["coordinator"]["id"]
    assert (await api.http.post("/journeys", json=data)).status_code == 201
    await eventually(lambda: _listed(api, ref, coordinator=coordinator))
    [item] = await _listed(api, ref, coordinator=coordinator, stage="remote_review", pathway="car_t", overdue="false")
    assert item == {"case_reference": ref, "stage": "remote_review", "pathway": "car_t", "coordinator": coordinator,
                    "overdue": False, "paused": False, "needs_attention": False, "status": "running"}
    assert await _listed(api, ref, pathway="transplant") == []
    assert await _listed(api, ref, stage="eligibility") == []
    assert await _listed(api, ref, overdue="true") == []
    r = await api.http.get("/journeys", params={"stage": "nowhere"})
    assert r.status_code == 422 and "stage" in r.json()["detail"]


# --- refusals -------------------------------------------------------------------------------------


async def test_a_refused_command_returns_the_validators_message_and_leaves_no_trace(api: Api):
    data = case_data(pathway="second_opinion")
    ref = data["case_reference"]
    await api.http.post("/journeys", json=data)
    await eventually(lambda: api.settled(ref))
    before = await api.history_length(ref)
    r = await api.http.post(f"/journeys/{ref}/stage", json={"to_stage": "follow_up"})
    assert r.status_code == 409
    assert r.json()["detail"].startswith("cannot move to follow_up yet: needs")
    r = await api.http.post(f"/journeys/{ref}/records/decisions", json={"record_type": "imaging", "decision": "accept"})
    assert r.status_code == 409 and r.json()["detail"] == "cannot accept 'imaging': it is requested, not received"
    r = await api.http.post(f"/journeys/{ref}/resume", json={})
    assert r.status_code == 409 and r.json()["detail"] == "journey is not paused"
    assert await api.history_length(ref) == before  # refused updates never reach history
    status = (await api.http.get(f"/journeys/{ref}")).json()
    assert status["stage"] == "remote_review" and not status["paused"]


async def _status_ok(api: Api, ref: str) -> bool:
    return (await api.http.get(f"/journeys/{ref}")).status_code == 200


async def test_bad_requests_are_refused_clearly_without_echoing_values_and_change_nothing(api: Api):
    data = case_data()
    ref = data["case_reference"]
    secret_phone, secret_name = "+4470000000001", "Zhang Wei-Secretname"

    # A case file that is malformed in personal fields: named field and rule, never the value.
    bad = json.loads(json.dumps(data))
    bad["guardians"][0]["phone"] = secret_phone
    bad["guardians"][0]["name"] = secret_name
    r = await api.http.post("/journeys", json=bad)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "guardians.0.phone" in detail and secret_phone not in r.text and secret_name not in r.text

    # Unknown fields (a diagnosis has no place in a case file).
    r = await api.http.post("/journeys", json=dict(data, diagnosis="B-ALL, second relapse"))
    assert r.status_code == 422 and "diagnosis: Extra inputs are not permitted" in r.json()["detail"]
    assert "B-ALL" not in r.text
    # Not JSON, not an object, the wrong content type, too large.
    r = await api.http.post("/journeys", content=b'{"case_reference": ', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
    r = await api.http.post("/journeys", json=[data])
    assert r.status_code == 422
    r = await api.http.post("/journeys", content=json.dumps(data).encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    r = await api.http.post("/journeys", data={"case_reference": ref})
    assert r.status_code == 415
    r = await api.http.post("/journeys", json=dict(data, padding="x" * 100_000))
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    async def chunks():
        for _ in range(100):
            yield b" " * 1024

    r = await api.http.post("/journeys", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413  # streamed without a Content-Length
    assert not await _exists(api, ref)

    # On a running journey: unknown fields and bad values in commands change nothing.
    assert (await api.http.post("/journeys", json=data)).status_code == 201
    await eventually(lambda: api.settled(ref))
    before = await api.history_length(ref)
    r = await api.http.post(f"/journeys/{ref}/pause", json={"reason": "other", "force": True})
    assert r.status_code == 422 and "force" in r.json()["detail"]
    r = await api.http.post(f"/journeys/{ref}/records/received", json={"record_type": "horoscope", "document_id": "d"})
    assert r.status_code == 422 and "record_type" in r.json()["detail"] and "horoscope" not in r.text
    r = await api.http.post(f"/journeys/{ref}/close", json={"reason": "other", "note": "n" * 501})
    assert r.status_code == 422 and "note" in r.json()["detail"]
    r = await api.http.post(f"/journeys/{ref}/stage", content=b"to_stage=eligibility",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    assert await api.history_length(ref) == before

    # Unknown journeys and malformed references.
    r = await api.http.get("/journeys/WJ-2026-999999")
    assert r.status_code == 404 and r.json()["detail"] == "no journey with case reference WJ-2026-999999"
    r = await api.http.post("/journeys/WJ-2026-999999/pause", json={"reason": "other"})
    assert r.status_code == 404
    r = await api.http.get("/journeys/Maria%20Lopez")
    assert r.status_code == 422 and "Maria" not in r.text


async def test_the_openapi_document_describes_bodies_answers_and_the_key(api: Api):
    spec = (await api.anon.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "an API key from `python -m api.keys new NAME`"}
    start = spec["paths"]["/journeys"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CaseFile"}
    assert {"200", "201", "401", "409", "413", "415", "422"} <= set(start["responses"])
    assert "additionalProperties" in spec["components"]["schemas"]["CaseFile"]
    stage = spec["paths"]["/journeys/{case_reference}/stage"]["post"]
    assert stage["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JourneySummary"}
    assert stage["responses"]["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


async def test_values_are_not_coerced_zero_is_not_false_and_a_string_is_not_a_number(api: Api):
    data = case_data()
    ref = data["case_reference"]
    r = await api.http.post("/journeys", json=dict(data, guardians=[dict(data["guardians"][0], channels="email")]))
    assert r.status_code == 422
    assert (await api.http.post("/journeys", json=data)).status_code == 201
    await eventually(lambda: _status_ok(api, ref))
    r = await api.http.post(f"/journeys/{ref}/channel-preferences",
                            json={"recipient": "guardian-1", "channel": "sms", "opted_out": 0})
    assert r.status_code == 422 and "opted_out" in r.json()["detail"]
    r = await api.http.post(f"/journeys/{ref}/consent", json={"granted": "true"})
    assert r.status_code == 422
    assert (await api.http.get(f"/journeys/{ref}")).json()["opted_out"] == {}


# --- timekeeping: appointments over HTTP ---------------------------------------------------------


async def test_appointments_are_booked_moved_and_cancelled_over_http_and_bad_ones_change_nothing(api: Api):
    data = case_data()
    ref = data["case_reference"]
    assert (await api.http.post("/journeys", json=data)).status_code == 201
    await eventually(lambda: api.settled(ref))
    booked = await api.http.post(f"/journeys/{ref}/appointments", json={
        "kind": "video_consultation", "starts_at": "2030-03-04T09:30:00", "venue_timezone": "Asia/Shanghai",
        "place": "GZ-HOSP-3", "by": "coord-lin"})
    assert booked.status_code == 200, booked.text
    [appointment] = (await api.http.get(f"/journeys/{ref}/appointments")).json()
    assert appointment["id"] == "A1" and appointment["starts_at"].startswith("2030-03-04T09:30:00+08:00")
    await eventually(lambda: api.settled(ref))
    length = await api.history_length(ref)
    refusals = [
        ({"kind": "video_consultation", "starts_at": "2020-01-01T09:00:00"}, 409, "in the past"),
        ({"kind": "day_zero", "starts_at": "2030-01-01T09:00:00"}, 409, "does not belong to the second_opinion pathway"),
        ({"kind": "teleportation", "starts_at": "2030-01-01T09:00:00"}, 422, "kind"),
        ({"kind": "video_consultation", "starts_at": "2030-01-01T09:00:00", "place": "a note about the child's fever"},
         422, "place"),
    ]
    for body, status, words in refusals:
        r = await api.http.post(f"/journeys/{ref}/appointments", json=body)
        assert r.status_code == status and words in r.json()["detail"], (body, r.status_code, r.text)
        assert "\n" not in r.json()["detail"]
    assert await api.history_length(ref) == length  # nothing written
    moved = await api.http.post(f"/journeys/{ref}/appointments/reschedule",
                                json={"appointment_id": "A1", "starts_at": "2030-03-05T14:00:00"})
    assert moved.status_code == 200
    assert (await api.http.get(f"/journeys/{ref}/appointments")).json()[0]["sequence"] == 1
    assert (await api.http.post(f"/journeys/{ref}/appointments/cancel", json={"appointment_id": "A1"})).status_code == 200
    again = await api.http.post(f"/journeys/{ref}/appointments/reschedule",
                                json={"appointment_id": "A1", "starts_at": "2030-03-06T14:00:00"})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert (await api.http.get(f"/journeys/{ref}/appointments")).json() == []


async def test_a_forged_page_token_is_a_clear_client_error_not_a_500(api: Api):
    r = await api.http.get("/journeys", params={"page": "0" * 900})
    assert r.status_code == 422, r.text
    assert "page" in r.json()["detail"]
