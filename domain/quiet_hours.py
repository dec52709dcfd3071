"""Quiet hours: the next moment a message may reach a recipient, in their own time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.policy import QuietHours


def _in_window(local: time, window: QuietHours) -> bool:
    start, end = window.start, window.end
    if start == end:
        return False  # an empty window: no quiet hours
    if start < end:  # e.g. 13:00-15:00
        return start <= local < end
    return local >= start or local < end  # wraps midnight, e.g. 21:00-08:00


def next_allowed_time(at: datetime, tz_name: str, window: QuietHours) -> datetime:
    """``at`` if it falls outside quiet hours, else the end of the window (UTC, aware).

    Computed from wall-clock time in the recipient's zone, so a window ending 08:00 ends at
    08:00 local on either side of a daylight-saving change.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    tz = ZoneInfo(tz_name)
    local = at.astimezone(tz)
    if not _in_window(local.timetz().replace(tzinfo=None), window):
        return at
    end_date = local.date()
    if window.start > window.end and local.time() >= window.start:
        end_date = end_date + timedelta(days=1)
    candidate = datetime.combine(end_date, window.end, tzinfo=tz)
    # A wall time that does not exist (DST gap) resolves forward through UTC round-trip.
    return candidate.astimezone(timezone.utc)
