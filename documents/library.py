"""The document store as the rest of the service sees it: check, seal, keep, open (audited).

A family's files are checked first, all of them (type by content, size, count); only when every
file passes is anything stored, so a refused upload changes nothing. Each file becomes one
document under a fresh random id, sealed (documents/sealing.py) before it reaches the object
store, and indexed (documents/index.py). Opening a document records who opened it and when.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from documents.content import MEDIA_TYPES, Kind, kind_of
from documents.index import DocumentEntry, DocumentIndex
from documents.objects import ObjectStore
from documents.sealing import Sealer


class Problem(StrEnum):
    NO_FILE = "no_file"
    TOO_MANY = "too_many"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    WRONG_TYPE = "wrong_type"
    NOT_ASKED = "not_asked"  # the item is not waiting for records (received, accepted, waived)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int


@dataclass(frozen=True)
class Refusal:
    problem: Problem
    file_number: int | None = None  # 1-based position in the upload, None for the whole upload


def check_files(files: list[bytes], limits: Limits) -> tuple[list[Kind], list[Refusal]]:
    """Pure: the kind of each file, or why the upload is refused (every problem found)."""
    if not files:
        return [], [Refusal(Problem.NO_FILE)]
    if len(files) > limits.max_files:
        return [], [Refusal(Problem.TOO_MANY)]
    kinds: list[Kind] = []
    refusals: list[Refusal] = []
    for number, data in enumerate(files, start=1):
        if not data:
            refusals.append(Refusal(Problem.EMPTY, number))
        elif len(data) > limits.max_bytes:
            refusals.append(Refusal(Problem.TOO_LARGE, number))
        elif (kind := kind_of(data)) is None:
            refusals.append(Refusal(Problem.WRONG_TYPE, number))
        else:
            kinds.append(kind)
    return kinds, refusals


def new_document_id() -> str:
    return f"doc-{secrets.token_hex(12)}"


class Documents:
    def __init__(self, objects: ObjectStore, sealer: Sealer, index: DocumentIndex, limits: Limits) -> None:
        self.objects = objects
        self.sealer = sealer
        self.index = index
        self.limits = limits

    def store(self, case_reference: str, record_type: str, sent_by: str, files: list[bytes],
              kinds: list[Kind]) -> list[DocumentEntry]:
        """Seal and keep checked files; all of them or (after a failure) none."""
        now = datetime.now(UTC)
        entries: list[DocumentEntry] = []
        try:
            for data, kind in zip(files, kinds, strict=True):
                entry = DocumentEntry(new_document_id(), case_reference, record_type, sent_by, kind.value, len(data),
                                      self.sealer.active_id, now)
                self.objects.put(entry.document_id, self.sealer.seal(entry.document_id, data))
                entries.append(entry)
            self.index.add(entries)
        except BaseException:
            for entry in entries:
                self.objects.delete(entry.document_id)
            raise
        return entries

    def withdraw(self, entries: list[DocumentEntry]) -> None:
        """Undo a store whose report to the journey failed (the journey never heard of them)."""
        self.index.remove([e.document_id for e in entries])
        for entry in entries:
            self.objects.delete(entry.document_id)

    def open(self, document_id: str, by: str) -> tuple[DocumentEntry, bytes, str] | None:
        """The document's entry, plaintext and media type, recording who opened it; None if unknown."""
        entry = self.index.get(document_id)
        if entry is None:
            return None
        plaintext = self.sealer.open(document_id, self.objects.get(document_id))
        self.index.record_download(entry, by, datetime.now(UTC))
        return entry, plaintext, MEDIA_TYPES[Kind(entry.kind)]
