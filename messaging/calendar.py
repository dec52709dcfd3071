"""Calendar invitations for appointments (RFC 5545, built with ``icalendar``): one stable UID
per appointment, SEQUENCE raised on each change, METHOD:CANCEL when it is cancelled. Times are
given in the venue's zone; each person's calendar shows them in their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from messaging.delivery_contract import Attachment

DURATION = timedelta(hours=1)
PRODID = "-//Waypoint Journeys//Appointments//EN"


def invitation(params: dict[str, object], case_reference: str, summary: str, cancelled: bool) -> Attachment:
    """The .ics for an appointment's current version (params as the journey planned them)."""
    zone = ZoneInfo(str(params["venue_timezone"]))
    start = datetime.fromisoformat(str(params["starts_at"])).astimezone(zone)
    stamp = datetime.fromisoformat(str(params.get("updated_at") or params["starts_at"]))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{params['appointment_id']}.{case_reference}@waypoint-journeys")
    event.add("sequence", int(str(params["sequence"])))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add("summary", summary)
    if params.get("place"):
        event.add("location", str(params["place"]))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    method = "CANCEL" if cancelled else "REQUEST"
    return Attachment(
        filename=f"appointment-{params['appointment_id']}.ics",
        content_type=f"text/calendar; method={method}",
        content=calendar.to_ical().decode("utf-8"),
    )
