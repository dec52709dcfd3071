"""Medical and personal data stay sealed: the codec itself, and a whole journey's history walked
payload by payload on a real dev server."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

import pytest
from google.protobuf.message import Message as ProtoMessage
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import DataConverter

from domain.commands import ApplyMilestone, CloseJourney, RecordReceived, ReviewRecord
from service.client import data_converter
from service.codec import ENCODING, EncryptionCodec, KeyProblem, new_key_entry, parse_keys
from service.config import Settings
from service.journeys import Journeys
from tests.conftest import case_data
from worker import build_worker
from workflows.journey import (
    ALERTS_CLOSE_PATCH,
    CALM_MESSAGES_PATCH,
    FAMILY_REPLIES_PATCH,
    DIGEST_PATCH,
    REJECTIONS_ON_RESUME_PATCH,
    STATUS_MEMO_PATCH,
    STEADY_TIMER_PATCH,
    TIMEKEEPING_PATCH,
)

# Patch markers are plaintext by design (their ids name code changes, never a person).
PATCH_IDS = {STATUS_MEMO_PATCH, DIGEST_PATCH, STEADY_TIMER_PATCH, TIMEKEEPING_PATCH, ALERTS_CLOSE_PATCH,
             CALM_MESSAGES_PATCH, REJECTIONS_ON_RESUME_PATCH, FAMILY_REPLIES_PATCH}
OLD = parse_keys(new_key_entry("k2026a"))
NEW = parse_keys(new_key_entry("k2026b"))


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_round_trip_and_rotation():
    old = EncryptionCodec(OLD)
    [sealed] = await old.encode([payload('{"name": "Aigerim"}')])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata["encryption-key-id"] == b"k2026a"
    assert b"Aigerim" not in sealed.SerializeToString()
    rotated = EncryptionCodec(NEW + OLD)  # new key seals, old key still opens
    [opened] = await rotated.decode([sealed])
    assert opened.data == b'{"name": "Aigerim"}'
    [resealed] = await rotated.encode([opened])
    assert resealed.metadata["encryption-key-id"] == b"k2026b"
    with pytest.raises(KeyProblem, match="k2026b"):
        await old.decode([resealed])


async def test_tampering_and_plain_payloads():
    codec = EncryptionCodec(NEW)
    [sealed] = await codec.encode([payload("x")])
    broken = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(Exception):  # noqa: B017 - the AEAD tag check, whatever its type
        await codec.decode([broken])
    plain = payload("written before encryption")
    assert (await codec.decode([plain]))[0] == plain
    assert "k2026b" in repr(codec) and base64.b64encode(NEW[0][1]).decode() not in repr(codec)


@pytest.mark.parametrize(
    "spec, message",
    [("nokey", "<key id>:<base64 key>"), ("k1:not-base64!", "not valid base64"), ("k1:" + base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_bad_key_configuration_is_named_without_key_material(spec, message):
    with pytest.raises(KeyProblem, match=message) as problem:
        parse_keys(spec)
    key_material = spec.split(":", 1)[-1]  # the whole spec when it has no key id
    assert key_material not in str(problem.value)


def payloads_in(message: ProtoMessage, path: str = ""):
    """Every Payload inside a history event, with where it sits."""
    if isinstance(message, Payload):
        yield path, message
        return
    for field, value in message.ListFields():
        where = f"{path}.{field.name}"
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, ProtoMessage):
                    yield from payloads_in(item, f"{where}[{key}]")
        elif isinstance(value, Sequence) or hasattr(value, "add"):
            for i, item in enumerate(value):
                yield from payloads_in(item, f"{where}[{i}]")
        else:
            yield from payloads_in(value, where)


async def test_a_whole_journey_leaves_only_ciphertext_in_history(dev_env, tmp_path, caplog):
    codec = EncryptionCodec(NEW)
    sealed_converter: DataConverter = data_converter(codec)
    target = dev_env.client.service_client.config.target_host
    client = await Client.connect(target, data_converter=sealed_converter)
    settings = Settings(task_queue=f"tq-{uuid.uuid4()}", outbox_dir=tmp_path / "outbox")
    journeys = Journeys(client, settings.task_queue)
    data = case_data()
    ref = data["case_reference"]
    note = "relapsed B-ALL after second transplant, family very worried"
    secrets = [g["name"] for g in data["guardians"]] + [g["email"] for g in data["guardians"]]
    secrets += [data["guardians"][0]["phone"], data["local_team"]["email"], data["local_team"]["name"], note, "B-ALL"]
    reply = "Спасибо, а когда будет ответ по биопсии?"  # a family's own words (issue 10)
    secrets += [reply]

    caplog.set_level(logging.DEBUG)
    from domain.case_file import CaseFile
    from domain.commands import FamilyReply

    async with build_worker(client, settings):
        await journeys.start(CaseFile.intake(data))
        await journeys.report_record_received(ref, RecordReceived(record_type="imaging", document_id="img-7"))
        await journeys.signal(ref, FamilyReply(recipient="guardian-1", channel="sms", text=reply))
        await journeys.command(ref, ReviewRecord(record_type="imaging", decision="reject", reason="illegible", note=note))
        for line in (await journeys.status(ref)).records:
            if line.status.value == "requested":
                await journeys.command(ref, ReviewRecord(record_type=line.record_type, decision="waive"))
        await journeys.command(ref, ReviewRecord(record_type="imaging", decision="waive"))
        await journeys.command(ref, ApplyMilestone(milestone="review_started", note=note))
        await journeys.command(ref, CloseJourney(reason="family_declined", note=note))
        await journeys.handle(ref).result(rpc_timeout=timedelta(seconds=30))

    # Read the history with a client that has no key: what the server (and its database) holds.
    plain = dev_env.client.get_workflow_handle(f"journey-{ref}")
    history = await plain.fetch_history()
    found = 0
    for event in history.events:
        for where, p in payloads_in(event):
            if "search_attributes" in where:
                continue  # indexed by the server, never encrypted: checked below for content
            if "marker_recorded_event_attributes.details[patch-data]" in where:
                # Written by the SDK itself, outside the codec: only the id of a workflow patch.
                assert json.loads(p.data)["id"] in PATCH_IDS, f"unexpected plaintext marker {p.data!r}"
                continue
            found += 1
            assert p.metadata.get("encoding") == ENCODING, f"plaintext payload at {event.event_type}{where}"
    assert found > 20
    memos = [e for e in history.events if e.HasField("workflow_properties_modified_event_attributes")]
    assert memos, "the digest memo is published (and was checked above to be encrypted)"
    raw = b"".join(e.SerializeToString() for e in history.events)
    for secret in secrets:
        assert secret.encode() not in raw, "personal or medical text in history"
    description = await plain.describe()
    assert ref in description.id and not any(s in description.id for s in secrets)
    attributes = repr(description.raw_description.workflow_execution_info.search_attributes)
    for secret in secrets:
        assert secret not in attributes
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in logs, "personal or medical text in logs"
