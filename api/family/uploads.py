"""Reading a family's request body: bounded, in memory, never spooled to disk in plaintext.

The family page limits its own bodies (api/guards.py leaves /family/ to it) so that a refusal is
a page in the family's language, not a JSON error. Files are parsed in memory: Starlette would
otherwise spool parts over 1 MB to a temporary file, i.e. unencrypted medical records on disk.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import parse_qs

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

FORM_LIMIT = 8 * 1024  # the small forms (fresh link, channel preferences)


class BodyTooLarge(Exception):
    pass


class BadForm(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def small_form(request: Request) -> dict[str, str]:
    body = await read_body(request, FORM_LIMIT)
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise BadForm()
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


class _InMemory(MultiPartParser):
    spool_max_size = 1 << 40  # keep every part in memory (the body is already bounded)


async def uploaded_files(request: Request, limit: int, max_files: int) -> list[bytes]:
    """The files of a multipart upload (field ``files``), at most ``max_files`` + 1 of them (one
    more than allowed, so "too many" can be told apart)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadForm()
    body = await read_body(request, limit)

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await _InMemory(request.headers, stream(), max_files=max_files + 1, max_fields=4).parse()
    except MultiPartException:
        raise BadForm() from None
    files: list[bytes] = []
    for value in form.getlist("files"):
        if isinstance(value, UploadFile):
            if value.filename or value.size:  # an empty file input sends one nameless empty part
                files.append(await value.read())
            await value.close()
    return files
