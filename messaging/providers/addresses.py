"""The To header of an e-mail, built by the standard library's header encoding.

``formataddr`` with a charset quotes a plain name and encodes any other as one RFC 2047 word,
so a name can never add a header or a recipient. Names are refused at intake when they hold
control characters (``domain.validation.display_text_problem``); a journey started before that
rule may still carry one, so such a name is left out here and the message goes to the address
alone rather than failing for ever.
"""

from __future__ import annotations

from email.utils import formataddr

from domain.validation import display_text_problem
from messaging.providers.errors import PermanentDeliveryError, PermanentKind


def to_header(name: str | None, address: str) -> str:
    if display_text_problem(address) or any(ch in address for ch in "<>,\"") or address.count("@") != 1:
        raise PermanentDeliveryError(PermanentKind.INVALID_ADDRESS, "the address cannot be put in a header")
    if not name or display_text_problem(name):
        return address
    return formataddr((name.strip(), address), charset="utf-8")
