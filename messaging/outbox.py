"""The local outbox: every message as a readable file, written at most once per key.

The default delivery for development and the demo. A message lands in
``<outbox>/<case reference>/<event>-<seq>-<recipient>-<channel>.txt``. The file is created
atomically with a hard link, so a retried or replayed delivery finds it and writes nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from domain.case_file import Channel
from messaging.delivery_contract import DeliveryRequest, Rendered

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class OutboxDelivery:
    path: Path
    duplicate: bool


class OutboxSender:
    """The outbox as a channel (the default when no provider is configured)."""

    def __init__(self, outbox: "Outbox") -> None:
        self.outbox = outbox

    async def send(self, request: DeliveryRequest, message: Rendered) -> tuple[str, bool]:
        delivered = self.outbox.deliver(request, message)
        # The file's name, not the server's path: coordinators read this as the message's outcome.
        return f"outbox {delivered.path.name}", delivered.duplicate


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        case_reference, event, seq, recipient, channel = key.split(":")
        name = f"{event}-{int(seq):05d}-{recipient}-{channel}.txt"
        return self.root / _SAFE.sub("_", case_reference) / _SAFE.sub("_", name)

    def deliver(self, request: DeliveryRequest, message: Rendered) -> OutboxDelivery:
        final = self.path_for(request.key)
        if final.exists():
            return OutboxDelivery(final, duplicate=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            f"Key: {request.key}",
            f"Channel: {request.channel.value}",
            f"To: {request.to_name + ' ' if request.to_name else ''}<{request.to_address}>",
            f"Language: {message.language}{' (fallback from ' + request.language + ')' if message.fell_back else ''}",
        ]
        if request.channel == Channel.EMAIL and message.subject is not None:
            lines.append(f"Subject: {message.subject}")
        body = "\n".join(lines) + "\n\n" + message.text.rstrip() + "\n"
        if message.html:
            body += "\n--- html ---\n" + message.html.rstrip() + "\n"
        for attachment in message.attachments:
            body += f"\n--- attachment: {attachment.filename} ({attachment.content_type}) ---\n" + attachment.content.rstrip() + "\n"
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        tmp.write_text(body, encoding="utf-8")
        try:
            os.link(tmp, final)  # fails if another attempt got there first
            duplicate = False
        except FileExistsError:
            duplicate = True
        finally:
            tmp.unlink(missing_ok=True)
        return OutboxDelivery(final, duplicate=duplicate)

    def messages(self, case_reference: str) -> list[Path]:
        folder = self.root / _SAFE.sub("_", case_reference)
        return sorted(folder.glob("*.txt")) if folder.exists() else []
