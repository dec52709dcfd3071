"""Known vectors for SMS encoding and segment counting (GSM 03.38 and UCS-2)."""

from __future__ import annotations

import pytest

from messaging.sms_segments import encoding, length, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "GSM-7"),
        ("Hello, case WJ-2026-0042: https://portal.waypoint.example/case/WJ-2026-0042", "GSM-7"),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", "GSM-7"),
        ("^{}\\[]~|€\f", "GSM-7"),
        ("line one\nline two\r\n", "GSM-7"),
        ("façade", "UCS-2"),  # lower-case ç is not in the GSM 03.38 basic set
        ("crème brûlée", "UCS-2"),  # nor is û
        ("“quoted”", "UCS-2"),  # typographic quotes are not GSM
        ("a – b", "UCS-2"),  # en dash
        ("α", "UCS-2"),  # only some upper-case Greek letters are GSM
        ("你好", "UCS-2"),
        ("Здравствуйте", "UCS-2"),
        ("مرحبا", "UCS-2"),
        ("ok 😀", "UCS-2"),
    ],
)
def test_encoding(text: str, expected: str) -> None:
    assert encoding(text) == expected


@pytest.mark.parametrize(
    ("text", "septets_or_units", "parts"),
    [
        ("", 0, 1),
        ("a", 1, 1),
        # GSM-7: 160 in one message, 153 per part after that
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("a" * 459, 459, 3),
        ("a" * 460, 460, 4),
        # extension characters cost two septets
        ("€", 2, 1),
        ("€" * 80, 160, 1),
        ("€" * 81, 162, 2),
        ("a" * 159 + "^", 161, 2),
        ("a" * 158 + "^", 160, 1),
        ("\f", 2, 1),
        ("{}" * 40, 160, 1),
        # an escape pair is not split: 152 + [€ moves on] -> 152 | 76 x € | 1 x €
        ("a" * 152 + "€" * 77, 306, 3),
        ("a" * 151 + "€" * 77, 305, 2),
        # UCS-2: 70 in one message, 67 per part after that
        ("你" * 70, 70, 1),
        ("你" * 71, 71, 2),
        ("你" * 134, 134, 2),
        ("你" * 135, 135, 3),
        ("Я" * 70, 70, 1),
        ("Я" * 71, 71, 2),
        ("ع" * 134, 134, 2),
        ("ع" * 135, 135, 3),
        # one non-GSM character turns the whole text into UCS-2
        ("a" * 69 + "你", 70, 1),
        ("a" * 70 + "你", 71, 2),
        ("a" * 159 + "ç", 160, 3),
        # characters outside the BMP take two UTF-16 code units
        ("😀", 2, 1),
        ("😀" * 35, 70, 1),
        ("😀" * 36, 72, 2),
        ("😀" * 67, 134, 3),  # 33 pairs per part (66 units): a pair is never split
        # a surrogate pair is not split: 66 + [😀 moves on] -> 66 | 33 x 😀 | 1 x 😀
        ("你" * 66 + "😀" * 34, 134, 3),
        ("你" * 67 + "😀" * 33, 133, 2),
    ],
)
def test_length_and_segments(text: str, septets_or_units: int, parts: int) -> None:
    assert length(text) == septets_or_units
    assert segments(text) == parts


def test_segments_grow_monotonically() -> None:
    for ch in ("a", "€", "你", "😀"):
        previous = 1
        for n in range(0, 400):
            current = segments(ch * n)
            assert current >= previous
            previous = current
