"""SMS frequency caps per guardian (default: at most 1 a day and 3 a week).

A message over the cap is not lost: when the same notice also goes by e-mail, the SMS is dropped
("sent by e-mail instead"); otherwise it waits for the first moment the cap allows, and SMS that
wait together are merged into one (family SMS carry no detail, only "there is news" and a link).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class SmsCaps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_day: int = Field(default=1, ge=1, le=50)
    per_week: int = Field(default=3, ge=1, le=200)


DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def next_sms_allowed(sent: list[datetime], now: datetime, caps: SmsCaps) -> datetime:
    """``now`` when another SMS may go out, else the first moment the caps allow one."""
    waits = [now]
    last_day = sorted(t for t in sent if now - t < DAY)
    if len(last_day) >= caps.per_day:
        waits.append(last_day[len(last_day) - caps.per_day] + DAY)
    last_week = sorted(t for t in sent if now - t < WEEK)
    if len(last_week) >= caps.per_week:
        waits.append(last_week[len(last_week) - caps.per_week] + WEEK)
    return max(waits)
