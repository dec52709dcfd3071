"""Render a message: one template per event and kind, its words from the gettext catalogs.

Layout: ``templates/<event>.<kind>.j2`` with kind ``txt`` (plain-text e-mail, whose ``subject``
block is the subject), ``html`` (HTML e-mail, autoescaped) and ``sms``. The words come from the
``messages`` catalog and the names of codes from the ``labels`` catalog
(``locale/<language>/LC_MESSAGES/``; see ``translations.catalogs``), so adding a language is adding
its catalogs. A language without catalogs falls back to English, a string missing from a catalog
is shown in English, and both say so in the log; a missing variable is an error, never a blank.

An SMS must fit two segments (GSM-7 153x2, UCS-2 67x2): when the full text does not, the short
form is used (the sender, a short sentence and the link); when even that does not fit, rendering
fails with ``SmsTooLong`` and the message goes by e-mail with the coordinator told.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from domain.case_file import COORDINATOR_ID, LOCAL_TEAM_ID, Channel
from messaging.calendar import invitation
from messaging.delivery_contract import DeliveryRequest, MessagePart, Rendered
from messaging.sms_segments import segments
from translations import catalogs
from translations.labels import label

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
DOMAIN = "messages"
MAX_SMS_SEGMENTS = 2
RTL_MARK = "\u200f"


# Events whose e-mails carry a calendar invitation (.ics).
INVITATION_EVENTS = frozenset({"appointment_scheduled", "appointment_cancelled"})


class TemplateProblem(Exception):
    """A template is missing or needs a variable that was not given."""


class SmsTooLong(TemplateProblem):
    """Not even the short form of an SMS fits two segments."""


@pass_context
def _format_date(ctx: Context, value: str | date) -> str:
    """A date in the recipient's locale (long form)."""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(d, format="long", locale=ctx["_locale"])


@pass_context
def _format_datetime(ctx: Context, value: str | datetime) -> str:
    """A moment in the recipient's locale and time zone."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    tz = ctx["_tz"]
    return format_datetime(dt.astimezone(tz), format="medium", tzinfo=tz, locale=ctx["_locale"])


@pass_context
def _left_to_right(ctx: Context, value: object) -> object:
    """A reference or code kept left to right inside right-to-left HTML."""
    if ctx.eval_ctx.autoescape:
        return Markup('<span dir="ltr">%s</span>') % escape(str(value))
    return value


def _kind(channel: Channel) -> str:
    return "sms" if channel == Channel.SMS else "txt"


def audience_of(recipient: str) -> str:
    if recipient == LOCAL_TEAM_ID:
        return "local_team"
    if recipient == COORDINATOR_ID:
        return "coordinator"
    return "family"


class Renderer:
    def __init__(self, root: Path = TEMPLATES_DIR, case_link_base: str = "", sender_name: str = "Waypoint Journeys",
                 locale_dir: Path = catalogs.LOCALE_DIR):
        self.root = Path(root)
        self.locale_dir = Path(locale_dir)
        self.case_link_base = case_link_base.rstrip("/")
        self.sender_name = sender_name

    def languages(self) -> list[str]:
        return catalogs.languages(DOMAIN, self.locale_dir)

    @lru_cache(maxsize=32)  # noqa: B019 - one renderer per worker, kept for its lifetime
    def environment(self, language: str) -> Environment:
        """A jinja2 environment speaking one language (the catalogs installed, names bound)."""
        env = Environment(
            loader=FileSystemLoader(str(self.root)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.i18n"],
        )
        words, _, _ = catalogs.translations(language, DOMAIN, self.locale_dir)
        env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
        env.filters["date"] = _format_date
        env.filters["datetime"] = _format_datetime
        env.filters["ltr"] = _left_to_right
        env.globals["label"] = lambda group, code: label(group, code, language, self.locale_dir)
        return env

    def context(self, request: DeliveryRequest, language: str, link: str | None = None) -> dict[str, Any]:
        try:
            locale = Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            locale = Locale.parse(catalogs.SOURCE_LANGUAGE)
        try:
            tz = ZoneInfo(request.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TemplateProblem("unknown time zone for recipient") from None
        params = request.params
        # Requests and reminders carry the items still outstanding at send time; an alert
        # names its items in params (they are the subject, not something to re-check).
        record_types = [t.value for t in request.record_types] or list(params.get("record_types", []))
        # Items the recipient holds, and items a family is asked to obtain from its doctors (per
        # item; journeys planned before ``held_by_team`` existed asked for all of them that way).
        if "held_by_team" in params:
            held = set(params["held_by_team"])
        else:
            held = set(record_types) if params.get("via_family") else set()
        direction = catalogs.direction(language)
        return {
            **params,
            "case_reference": request.case_reference,
            # The delivery activity passes the link it minted (messaging/links.py).
            "link": link or f"{self.case_link_base}/{request.case_reference}",
            "recipient_name": request.to_name,
            "audience": audience_of(request.recipient),
            "sender_name": self.sender_name,
            "record_types": record_types,
            "own_records": [t for t in record_types if t not in held],
            "team_records": [t for t in record_types if t in held],
            "_locale": locale,
            "_tz": tz,
            "language": language,
            "direction": direction,
            "rtl_mark": RTL_MARK if direction == "rtl" else "",
            "short": False,
            "part_only": False,
        }

    def _render(self, language: str, name: str, ctx: dict[str, Any]) -> tuple[str, str | None]:
        template = self.environment(language).get_template(name)
        text = template.render(ctx).strip()
        subject = None
        if "subject" in template.blocks:
            subject = "".join(template.blocks["subject"](template.new_context(ctx))).strip()
        return text, subject

    def render(self, request: DeliveryRequest, link: str | None = None) -> Rendered:
        event = request.event.value
        kind = _kind(request.channel)
        language, fell_back = catalogs.best_language(request.language, DOMAIN, self.locale_dir)
        ctx = self.context(request, language, link)
        html = None
        html_ctx = ctx
        try:
            if request.parts:  # several things at once: each part's own words, in order
                event = "_digest"
                texts, htmls = self._sections(request, language)
                ctx = {**ctx, "sections": texts, "count": len(request.parts)}
                html_ctx = {**ctx, "sections": [Markup(h) for h in htmls]}
            text, subject = self._render(language, f"{event}.{kind}.j2", ctx)
            if request.channel == Channel.SMS:
                text = self._fit_sms(language, f"{event}.sms.j2", ctx, text)
            else:
                html, _ = self._render(language, f"{event}.html.j2", html_ctx)
        except TemplateProblem:
            raise
        except TemplateNotFound as exc:
            raise TemplateProblem(f"template not found: {exc.name}") from None
        except Exception as exc:  # noqa: BLE001 - jinja2 UndefinedError, bad filters, unknown codes
            raise TemplateProblem(f"{event}.{kind} in {language}: {type(exc).__name__}: {exc}") from None
        attachments = []
        if request.channel == Channel.EMAIL:
            # An appointment's calendar invitation, also when its e-mail says other things too.
            said: list[DeliveryRequest | MessagePart] = [*request.parts] or [request]
            for part in said:
                if part.event.value in INVITATION_EVENTS:
                    summary = f"{label('appointment_kinds', part.params['kind'], language, self.locale_dir)} ({request.case_reference})"
                    cancelled = part.event.value == "appointment_cancelled"
                    attachments.append(invitation(part.params, request.case_reference, summary, cancelled))
        return Rendered(subject=subject, text=text, html=html, language=language, fell_back=fell_back,
                        attachments=attachments)

    def _sections(self, request: DeliveryRequest, language: str) -> tuple[list[str], list[str]]:
        """What each part of a merged message says: its event's body alone (text, and HTML for
        an e-mail)."""
        texts, htmls = [], []
        for part in request.parts:
            alone = request.model_copy(update={**part.model_dump(), "parts": []})
            ctx = {**self.context(alone, language), "part_only": True}
            texts.append(self._render(language, f"{part.event.value}.txt.j2", ctx)[0])
            if request.channel == Channel.EMAIL:
                htmls.append(self._render(language, f"{part.event.value}.html.j2", ctx)[0])
        return texts, htmls

    def _fit_sms(self, language: str, name: str, ctx: dict[str, Any], text: str) -> str:
        if segments(text) <= MAX_SMS_SEGMENTS:
            return text
        short, _ = self._render(language, name, {**ctx, "short": True})
        if segments(short) <= MAX_SMS_SEGMENTS:
            log.info("SMS %s in %s uses its short form (%d segments in full)", name, language, segments(text))
            return short
        raise SmsTooLong(f"{name} in {language} needs {segments(short)} SMS segments even in its short form")
