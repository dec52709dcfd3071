"""What a file is, told by its bytes (never by its name or the type the browser claims).

Families send PDFs, photos of paper records and DICOM (a single file, or a ZIP of them as
imaging CDs are exported). Anything else is refused.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum


class Kind(StrEnum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    HEIC = "heic"
    DICOM = "dicom"
    DICOM_ZIP = "dicom_zip"


MEDIA_TYPES = {
    Kind.PDF: "application/pdf",
    Kind.JPEG: "image/jpeg",
    Kind.PNG: "image/png",
    Kind.HEIC: "image/heic",
    Kind.DICOM: "application/dicom",
    Kind.DICOM_ZIP: "application/zip",
}
EXTENSIONS = {Kind.PDF: "pdf", Kind.JPEG: "jpg", Kind.PNG: "png", Kind.HEIC: "heic", Kind.DICOM: "dcm",
              Kind.DICOM_ZIP: "zip"}

_DICOM_PREAMBLE = 128
_ZIP_ENTRIES_LOOKED_AT = 2000


def _is_dicom(head: bytes) -> bool:
    return len(head) >= _DICOM_PREAMBLE + 4 and head[_DICOM_PREAMBLE:_DICOM_PREAMBLE + 4] == b"DICM"


def _zip_of_dicom(data: bytes) -> bool:
    """A ZIP with at least one DICOM file in it (only each entry's first bytes are read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist()[:_ZIP_ENTRIES_LOOKED_AT]:
                if info.is_dir() or info.flag_bits & 0x1:  # encrypted entries cannot be checked
                    continue
                with archive.open(info) as entry:
                    if _is_dicom(entry.read(_DICOM_PREAMBLE + 4)):
                        return True
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return False
    return False


def kind_of(data: bytes) -> Kind | None:
    """The kind of a file from its content, or None when it is not one we take."""
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if data.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"heim", b"heis"):
        return Kind.HEIC
    if _is_dicom(data):
        return Kind.DICOM
    if data.startswith(b"PK\x03\x04") and _zip_of_dicom(data):
        return Kind.DICOM_ZIP
    return None
