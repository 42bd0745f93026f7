"""A partnership's meetings as an iCalendar file (RFC 5545), written by hand.

Timed meetings are given in UTC (``DTSTART:20180612T090000Z``), converted from
the portal's local time zone, so no ``VTIMEZONE`` block is needed; a meeting
without a start time is an all-day event. Text is escaped (backslash, comma,
semicolon, newline), control characters are dropped, lines end in CRLF and are
folded at 75 octets without splitting a UTF-8 character. A calendar holds no
papers or minutes, only when and where.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from governance.meetings import Meeting
from governance.meetings import MeetingStatus
from portal.models import Partnership
from portal.models import utcnow

PRODID = "-//Partnership Portal//Meetings//EN"
UID_DOMAIN = "partnership-portal"
#: RFC 5545 3.1: lines longer than 75 octets are folded.
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value: ``\\``, ``;``, ``,`` and newlines escaped, controls dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(
        ch for ch in value if ch == "\n" or (ord(ch) >= 32 and ch != "\x7f")
    )
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into CRLF-joined chunks of at most 75 octets."""
    chunks: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode())
        if size + width > limit:
            chunks.append(current)
            # Continuation lines start with a space, which counts towards the 75.
            current, size, limit = ch, width, LINE_OCTETS - 1
        else:
            current += ch
            size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(meeting: Meeting, zone: ZoneInfo, stamp: datetime) -> list[str]:
    summary = meeting.title
    if meeting.title != meeting.body.name and meeting.body.name not in meeting.title:
        summary = f"{meeting.title} ({meeting.body.name})"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}@{UID_DOMAIN}",
        f"DTSTAMP:{_stamp(stamp)}",
        f"LAST-MODIFIED:{_stamp(meeting.updated_at)}",
        f"SEQUENCE:{max(0, meeting.version - 1)}",
    ]
    if meeting.starts_at is None:
        lines += [
            f"DTSTART;VALUE=DATE:{meeting.held_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{meeting.held_on + timedelta(days=1):%Y%m%d}",
        ]
    else:
        start = datetime.combine(meeting.held_on, meeting.starts_at, tzinfo=zone)
        end = start + timedelta(minutes=meeting.duration_minutes)
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(end)}"]
    lines.append(f"SUMMARY:{escape_text(summary)}")
    location = meeting.place or meeting.link
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    description = [f"{meeting.partnership.name}: {meeting.body.name}"]
    if meeting.chair is not None:
        description.append(f"Chair: {meeting.chair.name}")
    if meeting.link:
        description.append(f"Join online: {meeting.link}")
        # The link is validated as https when the meeting is saved.
        lines.append(f"URL:{meeting.link}")
    lines.append(f"DESCRIPTION:{escape_text(chr(10).join(description))}")
    status = {
        MeetingStatus.SCHEDULED: "CONFIRMED",
        MeetingStatus.HELD: "CONFIRMED",
        MeetingStatus.CANCELLED: "CANCELLED",
    }[meeting.status]
    lines += [f"STATUS:{status}", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def ical(
    partnership: Partnership,
    meetings: Iterable[Meeting],
    *,
    timezone: str = "Europe/London",
    now: datetime | None = None,
) -> str:
    """The meetings of ``partnership`` as an ``text/calendar`` document.

    Meetings of other partnerships are left out, whatever the caller passes.
    """
    zone = ZoneInfo(timezone)
    stamp = now or utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'{partnership.name} meetings')}",
        f"X-WR-TIMEZONE:{timezone}",
    ]
    for meeting in sorted(meetings, key=lambda m: (m.held_on, m.id)):
        if meeting.partnership_id == partnership.id:
            lines += _event(meeting, zone, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
