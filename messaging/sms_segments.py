"""How an SMS text will be encoded and how many segments it costs (pure functions).

GSM 03.38 (GSM-7): the basic set costs one septet per character, the extension table (reached
through an escape) costs two. One message holds 160 septets; a concatenated message spends 7
septets per part on its header, leaving 153, and an escape pair is never split across parts.

Anything outside GSM-7 is sent as UCS-2 (in practice UTF-16): one message holds 70 code units,
each part of a concatenated message 67. Characters outside the Basic Multilingual Plane (most
emoji) take two code units, and a surrogate pair is never split across parts.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The GSM 03.38 default alphabet, in code order (0x1B, the escape to the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each costs the escape plus the character.
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the basic or extension table, else UCS-2."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7"
    return "UCS-2"


def _costs(text: str) -> list[int]:
    """The size of each character in its encoding's units (septets or UTF-16 code units)."""
    if encoding(text) == "GSM-7":
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def length(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    return sum(_costs(text))


def segments(text: str) -> int:
    """How many SMS parts the text is sent in (an empty text still costs one)."""
    costs = _costs(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding(text) == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    if sum(costs) <= single:
        return 1
    count, used = 1, 0
    for cost in costs:  # an escape pair or a surrogate pair moves whole to the next part
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count
