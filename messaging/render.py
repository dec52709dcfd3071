"""Render a message from jinja2 templates in the recipient's language, locale and time zone.

Layout: ``templates/<language>/<event>.<kind>.j2`` with kind ``txt`` (plain-text email, whose
``subject`` block is the subject), ``html`` (HTML email, autoescaped) and ``sms``; and
``templates/<language>/labels.json`` for the names of stages, milestones and records. Adding a
language means adding that folder. A missing language or template falls back to English and
says so in the log; a missing variable is an error, never a blank.
"""

from __future__ import annotations

import json
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

from domain.case_file import Channel
from messaging.delivery_contract import DeliveryRequest, Rendered

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
FALLBACK_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


class TemplateProblem(Exception):
    """A template is missing or needs a variable that was not given."""


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


def _kind(channel: Channel) -> str:
    return "sms" if channel == Channel.SMS else "txt"


class Renderer:
    def __init__(self, root: Path = TEMPLATES_DIR, case_link_base: str = "", sender_name: str = "Waypoint Journeys"):
        self.root = Path(root)
        self.case_link_base = case_link_base.rstrip("/")
        self.sender_name = sender_name
        self.env = Environment(
            loader=FileSystemLoader(str(self.root)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["date"] = _format_date
        self.env.filters["datetime"] = _format_datetime

    def languages(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and (p / "labels.json").exists())

    @lru_cache(maxsize=64)  # noqa: B019 - one renderer per worker, kept for its lifetime
    def labels(self, language: str) -> dict[str, Any]:
        return json.loads((self.root / language / "labels.json").read_text(encoding="utf-8"))

    def _pick_language(self, requested: str, event: str, kind: str) -> tuple[str, bool]:
        tag = requested.replace("_", "-").lower()  # zh_CN, ZH-Hans -> zh-cn, zh-hans
        candidates = [tag]
        if "-" in tag:
            candidates.append(tag.split("-")[0])
        for lang in candidates:
            if (self.root / lang / f"{event}.{kind}.j2").exists() and (self.root / lang / "labels.json").exists():
                return lang, False
        log.warning(
            "template %s.%s missing for language %s; falling back to %s", event, kind, requested, FALLBACK_LANGUAGE
        )
        return FALLBACK_LANGUAGE, True

    def context(self, request: DeliveryRequest, language: str) -> dict[str, Any]:
        try:
            locale = Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            locale = Locale.parse(FALLBACK_LANGUAGE)
        try:
            tz = ZoneInfo(request.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TemplateProblem("unknown time zone for recipient") from None
        return {
            **request.params,
            "case_reference": request.case_reference,
            "link": f"{self.case_link_base}/{request.case_reference}",
            "recipient_name": request.to_name,
            "sender_name": self.sender_name,
            # Requests and reminders carry the items still outstanding at send time; an alert
            # names its items in params (they are the subject, not something to re-check).
            "record_types": [t.value for t in request.record_types] or list(request.params.get("record_types", [])),
            "_locale": locale,
            "_tz": tz,
            "labels": self.labels(language),
            "language": language,
            "direction": "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr",
        }

    def render(self, request: DeliveryRequest) -> Rendered:
        event = request.event.value
        kind = _kind(request.channel)
        language, fell_back = self._pick_language(request.language, event, kind)
        ctx = self.context(request, language)
        try:
            template = self.env.get_template(f"{language}/{event}.{kind}.j2")
            text = template.render(ctx).strip()
            subject = None
            if "subject" in template.blocks:
                subject = "".join(template.blocks["subject"](template.new_context(ctx))).strip()
            html = None
            if request.channel == Channel.EMAIL:
                try:
                    html = self.env.get_template(f"{language}/{event}.html.j2").render(ctx).strip()
                except TemplateNotFound:
                    html = None
        except TemplateNotFound as exc:
            raise TemplateProblem(f"template not found: {exc.name}") from None
        except Exception as exc:  # noqa: BLE001 - jinja2 UndefinedError, bad filters, missing labels
            raise TemplateProblem(f"{language}/{event}.{kind}: {type(exc).__name__}: {exc}") from None
        return Rendered(subject=subject, text=text, html=html, language=language, fell_back=fell_back)
