"""Where sealed documents are kept: one interface, a folder or an S3-compatible bucket.

Only sealed bytes ever reach an object store (documents/library.py seals before it puts). Object
names are document ids: nothing personal is in a name.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ObjectMissing(Exception):
    pass


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError("object names are document ids (letters, digits, . _ -)")
    return name


class ObjectStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def delete(self, name: str) -> None: ...
    def describe(self) -> str: ...


class FolderStore:
    """The embedded default: one file per document, written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root}"

    def path_of(self, name: str) -> Path:
        return self.root / f"{_checked(name)}.sealed"

    def put(self, name: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path_of(name)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes:
        try:
            return self.path_of(name).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(name) from None

    def delete(self, name: str) -> None:
        self.path_of(name).unlink(missing_ok=True)


class BucketStore:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, ...). Credentials come from the usual AWS
    variables or instance roles (boto3's own chain), never from this project's settings."""

    def __init__(self, bucket: str, prefix: str = "", endpoint: str | None = None, client: Any = None) -> None:
        import boto3  # noqa: PLC0415 - only deployments with a bucket need it

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: Any = client or boto3.client("s3", endpoint_url=endpoint)

    def describe(self) -> str:
        return f"bucket {self.bucket}"

    def key_of(self, name: str) -> str:
        return f"{self.prefix}{_checked(name)}.sealed"

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key_of(name), Body=data,
                               ContentType="application/octet-stream")

    def get(self, name: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(name))
        except self.client.exceptions.NoSuchKey:
            raise ObjectMissing(name) from None
        return answer["Body"].read()

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key_of(name))


def object_store(spec: str, s3_endpoint: str | None = None) -> ObjectStore:
    """``folder:<path>`` or ``s3://<bucket>/<prefix>`` (WAYPOINT_DOCUMENT_STORE)."""
    if spec.startswith("folder:"):
        return FolderStore(Path(spec.removeprefix("folder:")))
    if spec.startswith("s3://"):
        bucket, _, prefix = spec.removeprefix("s3://").partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError("WAYPOINT_DOCUMENT_STORE: s3://<bucket>/<prefix> needs a valid bucket name")
        return BucketStore(bucket, prefix, s3_endpoint)
    raise ValueError("WAYPOINT_DOCUMENT_STORE must be folder:<path> or s3://<bucket>/<prefix>")
