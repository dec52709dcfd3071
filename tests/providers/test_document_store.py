"""The document store: type by content, sealing with key ids and rotation, and the one object
store interface, run against a folder and against a local S3-compatible server (moto's server,
installed from PyPI, spoken to over HTTP by boto3 as a real bucket would be)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from documents.content import Kind, kind_of
from documents.index import DocumentIndex
from documents.library import Documents, Limits, Problem, check_files
from documents.objects import BucketStore, FolderStore, ObjectMissing, ObjectStore, object_store
from documents.sealing import SealBroken, Sealer
from service.codec import KeyProblem, new_key_entry
from tests.support.family import dicom, dicom_zip, not_a_record, pdf, png

KEY_A, KEY_B = new_key_entry("docs-a"), new_key_entry("docs-b")


def test_type_is_told_by_content_not_by_name():
    assert kind_of(pdf()) == Kind.PDF
    assert kind_of(png()) == Kind.PNG
    assert kind_of(b"\xff\xd8\xff\xe0" + b"\x00" * 32) == Kind.JPEG
    assert kind_of(dicom()) == Kind.DICOM
    assert kind_of(dicom_zip()) == Kind.DICOM_ZIP
    assert kind_of(not_a_record()) is None
    assert kind_of(b"PK\x03\x04 not really a zip") is None
    assert kind_of(b"<html><script>alert(1)</script>") is None


def test_an_upload_is_refused_whole_with_every_problem_named():
    limits = Limits(max_bytes=10_000, max_files=3)
    kinds, refusals = check_files([pdf(), png()], limits)
    assert kinds == [Kind.PDF, Kind.PNG] and refusals == []
    _, refusals = check_files([pdf(), b"", not_a_record()], limits)
    assert [(r.problem, r.file_number) for r in refusals] == [(Problem.EMPTY, 2), (Problem.WRONG_TYPE, 3)]
    _, refusals = check_files([pdf(20_000)], limits)
    assert [(r.problem, r.file_number) for r in refusals] == [(Problem.TOO_LARGE, 1)]
    assert check_files([pdf()] * 4, limits)[1][0].problem == Problem.TOO_MANY
    assert check_files([], limits)[1][0].problem == Problem.NO_FILE


def test_sealing_binds_the_document_id_and_survives_rotation():
    old = Sealer.from_spec(KEY_A)
    sealed = old.seal("doc-1", b"%PDF-1.4 record")
    assert b"record" not in sealed and old.key_id(sealed) == "docs-a"
    rotated = Sealer.from_spec(f"{KEY_B},{KEY_A}")  # a new key seals; the old one still opens
    assert rotated.open("doc-1", sealed) == b"%PDF-1.4 record"
    assert rotated.key_id(rotated.seal("doc-2", b"x")) == "docs-b"
    with pytest.raises(SealBroken):
        rotated.open("doc-2", sealed)  # another document's bytes
    with pytest.raises(SealBroken):
        Sealer.from_spec(KEY_B).open("doc-1", sealed)  # the old key was dropped too early
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealBroken):
        old.open("doc-1", tampered)
    with pytest.raises(KeyProblem, match="WAYPOINT_DOCUMENT_KEYS"):
        Sealer.from_spec("docs-a:not-base64!")
    assert "docs-a" in repr(old) and KEY_A.split(":")[1] not in repr(old)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["folder", "bucket"])
def objects(request, tmp_path, monkeypatch) -> ObjectStore:
    if request.param == "folder":
        return object_store(f"folder:{tmp_path / 'documents'}")
    import boto3  # noqa: PLC0415

    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    bucket = f"waypoint-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    store = object_store(f"s3://{bucket}/documents", endpoint)
    assert isinstance(store, BucketStore)
    return store


def raw(objects: ObjectStore, name: str) -> bytes:
    return objects.get(name)


def library(objects: ObjectStore) -> Documents:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    return Documents(objects, Sealer.from_spec(f"{KEY_B},{KEY_A}"), DocumentIndex(engine),
                     Limits(max_bytes=100_000, max_files=5))


def test_documents_are_kept_sealed_and_opened_only_with_an_audit(objects: ObjectStore):
    docs = library(objects)
    original = pdf(3000)
    (entry,) = docs.store("WJ-2026-0042", "pathology", "guardian-1", [original], [Kind.PDF])
    stored = raw(objects, entry.document_id)
    assert stored.startswith(b"WPD1") and b"%PDF" not in stored and original not in stored
    assert docs.index.downloads_of(entry.document_id) == []
    opened = docs.open(entry.document_id, "coord-lin")
    assert opened is not None and opened[1] == original and opened[2] == "application/pdf"
    (audit,) = docs.index.downloads_of(entry.document_id)
    assert audit.by == "coord-lin"
    assert docs.open("doc-unknown", "coord-lin") is None


def test_a_withdrawn_upload_leaves_nothing(objects: ObjectStore):
    docs = library(objects)
    entries = docs.store("WJ-2026-0042", "imaging", "guardian-1", [dicom(), dicom_zip()], [Kind.DICOM, Kind.DICOM_ZIP])
    docs.withdraw(entries)
    assert docs.index.of_case("WJ-2026-0042") == []
    for entry in entries:
        with pytest.raises(ObjectMissing):
            objects.get(entry.document_id)


def test_object_names_are_document_ids_only(tmp_path):
    store = FolderStore(tmp_path)
    for bad in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            store.put(bad, b"x")
    with pytest.raises(ValueError, match="WAYPOINT_DOCUMENT_STORE"):
        object_store("ftp://somewhere")
