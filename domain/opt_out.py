"""Reading an inbound SMS for the words that stop or restart messages.

STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT (any case, extra spaces or
punctuation) and their equivalents in Chinese, Russian and Arabic stop the channel at once. Only an
explicit START (or its equivalent) subscribes again. Anything else is not a command: it is left
for a person and never parsed further (it may hold medical detail).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"


STOP_WORDS = frozenset(
    {
        # English (carrier / CTIA standard set)
        "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke", "opt out", "optout",
        # Simplified Chinese: 退订 (unsubscribe), 取消 (cancel), 停止 (stop), 退出 (quit), TD (退订 shorthand)
        "退订", "取消", "停止", "退出", "取消订阅", "td",
        # Russian
        "стоп", "отписаться", "отписка", "отмена", "отменить", "остановить", "хватит",
        # Arabic (with and without hamza)
        "إيقاف", "ايقاف", "توقف", "الغاء", "إلغاء", "إلغاء الاشتراك", "الغاء الاشتراك",
    }
)
START_WORDS = frozenset(
    {
        "start", "unstop",
        "开始", "订阅", "重新订阅",
        "старт", "подписаться", "возобновить",
        "ابدأ", "ابدا", "اشتراك",
    }
)

_PUNCTUATION = re.compile(r"[\s\.\!\?,;:\"'«»“”‘’()\[\]。！？，、؛؟]+")


def normalize(body: str) -> str:
    text = unicodedata.normalize("NFKC", body).casefold()
    # Strip direction marks and other invisible formatting characters phones add.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _PUNCTUATION.sub(" ", text).strip()


def keyword(body: str) -> Keyword | None:
    """The command an inbound SMS carries, or None. The whole message must be the keyword."""
    text = normalize(body)
    if text in STOP_WORDS:
        return Keyword.STOP
    if text in START_WORDS:
        return Keyword.START
    return None
