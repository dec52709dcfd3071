"""A record rejected while the journey was paused is asked for again, with its reason, when the
journey resumes (nothing is sent while paused, and the family must learn why)."""

from __future__ import annotations

from datetime import datetime

from domain.records import RecordStatus, RecordType
from domain.rules.records import request_outstanding
from domain.state import JourneyState


def ask_again_for_rejections_while_paused(state: JourneyState, paused_since: datetime, now: datetime) -> None:
    """One request per reason, listing the items rejected for it since ``paused_since``."""
    by_reason: dict[str, list[RecordType]] = {}
    for item in state.records.values():
        if item.status != RecordStatus.REJECTED or item.rejection_reason is None or item.updated_at is None:
            continue
        if item.updated_at >= paused_since:
            by_reason.setdefault(item.rejection_reason.value, []).append(item.record_type)
    for reason, types in by_reason.items():
        request_outstanding(state, now, types, reason=reason)
