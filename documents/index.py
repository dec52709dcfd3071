"""What each stored document is, and who downloaded it when.

No file names, no content, nothing personal: a document id, the case it belongs to, the
checklist item, who sent it (a role: guardian-1, local-team, backend), its kind, size and the key
id it is sealed with. Downloads are audited: the coordinator's account id and the time. The
tables come from the family page's migrations (``documents.family_schema``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, delete, insert, select

from documents.family_schema import FAMILY

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("document_id", String(80), primary_key=True),
    Column("case_reference", String(64), nullable=False, index=True),
    Column("record_type", String(64), nullable=False),
    Column("sent_by", String(64), nullable=False),  # a role id, never a name
    Column("kind", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

downloads = Table(
    "document_downloads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", String(80), nullable=False, index=True),
    Column("case_reference", String(64), nullable=False),
    Column("by", String(64), nullable=False),  # the coordinator's account id
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class DocumentEntry:
    document_id: str
    case_reference: str
    record_type: str
    sent_by: str
    kind: str
    size: int
    key_id: str
    stored_at: datetime


@dataclass(frozen=True)
class Download:
    document_id: str
    by: str
    at: datetime


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; everything is written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class DocumentIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        FAMILY.upgrade(engine)  # the tables come from the family migrations

    def add(self, entries: list[DocumentEntry]) -> None:
        with self.engine.begin() as conn:
            for e in entries:
                conn.execute(insert(documents).values(**e.__dict__))

    def remove(self, document_ids: list[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(documents).where(documents.c.document_id.in_(document_ids)))

    def get(self, document_id: str) -> DocumentEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(documents).where(documents.c.document_id == document_id)).mappings().first()
        return _entry(row) if row else None

    def of_case(self, case_reference: str) -> list[DocumentEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents).where(documents.c.case_reference == case_reference).order_by(documents.c.stored_at)
            ).mappings().all()
        return [_entry(r) for r in rows]

    def record_download(self, entry: DocumentEntry, by: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(downloads).values(document_id=entry.document_id, case_reference=entry.case_reference,
                                                  by=by, at=at))

    def downloads_of(self, document_id: str) -> list[Download]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(downloads).where(downloads.c.document_id == document_id).order_by(downloads.c.id)
            ).mappings().all()
        return [Download(r["document_id"], r["by"], aware(r["at"])) for r in rows]


def _entry(row) -> DocumentEntry:
    return DocumentEntry(
        document_id=row["document_id"], case_reference=row["case_reference"], record_type=row["record_type"],
        sent_by=row["sent_by"], kind=row["kind"], size=row["size"], key_id=row["key_id"],
        stored_at=aware(row["stored_at"]),
    )
