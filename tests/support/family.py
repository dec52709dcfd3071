"""The family page in tests: sample files made here (never downloaded), the link a guardian got
in a real message in the outbox, and the app with the family page on."""

from __future__ import annotations

import dataclasses
import io
import re
import secrets
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from api.family import FamilyParts, family_parts
from tests.conftest import Harness
from tests.support.api_harness import api_settings, served

COORDINATOR_PASSWORD = "family page " + secrets.token_hex(4)


@dataclasses.dataclass
class FamilySite:
    base: str
    harness: Harness
    parts: FamilyParts
    coordinator: str

    @property
    def documents_dir(self) -> Path:
        return Path(self.parts.settings.document_store.removeprefix("folder:"))


@asynccontextmanager
async def family_site(harness: Harness, others: tuple[str, ...] = (), **family_overrides: object) -> AsyncIterator[FamilySite]:
    """The API with the dashboard (one coordinator, and ``others`` of no team of theirs) and the
    family page, over real HTTP, around the test's worker (which mints the links into the same
    family database)."""
    coordinator = f"coord-{uuid.uuid4().hex[:8]}"
    hashed = hash_password(COORDINATOR_PASSWORD)
    accounts = Coordinators([Account(coordinator, hashed, "en"), *(Account(other, hashed, "en") for other in others)])
    parts = family_parts(harness.settings.family.model_copy(update=family_overrides))
    app = create_app(harness.settings, harness.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)), parts)
    async with served(app) as base:
        yield FamilySite(base, harness, parts, coordinator)

TOKEN_IN_LINK = re.compile(r"/family/([A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])")


def pdf(size: int = 2000) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return body + b"%" + b"x" * max(size - len(body) - 7, 0) + b"\n%%EOF\n"


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def dicom() -> bytes:
    return b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\x00" * 64


def dicom_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("DICOMDIR/README.txt", "exported by the imaging CD")
        archive.writestr("IMG0001.dcm", dicom())
    return buffer.getvalue()


def not_a_record() -> bytes:
    return b"MZ\x90\x00" + b"\x00" * 200  # a Windows program, whatever its name says


def outbox_texts(harness: Harness, case_reference: str, recipient: str) -> list[str]:
    """A guardian's messages in the order the journey planned them (the sequence in the name)."""
    mine = [p for p in harness.outbox_files(case_reference) if f"-{recipient}-" in p.name]
    return [p.read_text(encoding="utf-8") for p in sorted(mine, key=lambda p: int(p.name.split("-")[1]))]


def token_from_outbox(harness: Harness, case_reference: str, recipient: str = "guardian-1") -> str | None:
    """The family-page token in the latest message to a guardian (the file the outbox wrote)."""
    for text in reversed(outbox_texts(harness, case_reference, recipient)):
        found = TOKEN_IN_LINK.findall(text)
        if found:
            return found[-1]
    return None


def sealed_files(root: Path) -> list[Path]:
    return sorted(root.glob("*.sealed"))
