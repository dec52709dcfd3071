"""E-mail over SMTP (any relay: a local MTA, a provider's SMTP endpoint) with aiosmtplib.

One connection per message: connect (plain, STARTTLS or implicit TLS; AUTH when a username is
set), MAIL, RCPT, DATA, QUIT. The message is multipart/alternative (text, plus HTML when the
template has one), with ``Content-Language`` and a ``Message-ID`` derived from the delivery key
(``<WJ-2026-0042.record_request.3.guardian-1.email@waypoint>``), which is what ``send`` returns.

SMTP has no idempotency and no way to ask "did you take this?", so a lost answer after DATA
cannot be resolved: ``messaging.exactly_once.LedgeredSender`` reports it as UNCERTAIN rather
than risk a second e-mail.

Classification (``messaging.providers.errors``):

- 535/534/530 on AUTH -> BAD_CREDENTIALS.
- RCPT refused 5xx: 553, or 550/551 with 5.1.x -> INVALID_ADDRESS; other 550/551/552/554 on
  RCPT (mailbox disabled, unavailable, full) -> INACTIVE_RECIPIENT.
- other 5xx (MAIL, DATA: policy, content) -> REJECTED.
- 4xx, connection errors, timeouts -> TransientDeliveryError. ``not_sent`` is True for anything
  before the end of DATA and for a 4xx/5xx answer to DATA; False when the connection broke or
  timed out while the server was taking the message (it may have been queued).
"""

from __future__ import annotations

import re
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, parseaddr
from enum import StrEnum

import aiosmtplib

from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.providers.addresses import to_header
from messaging.providers.errors import PermanentDeliveryError, PermanentKind, TransientDeliveryError, redact, transient


DEFAULT_TIMEOUT = 30.0
MESSAGE_ID_DOMAIN = "waypoint"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


def message_id_for(key: str) -> str:
    """``<key-with-safe-chars@waypoint>``: ':' and anything outside dot-atom text become '.'."""
    local = _UNSAFE_ID.sub(".", key).strip(".")
    local = re.sub(r"\.{2,}", ".", local)
    return f"<{local}@{MESSAGE_ID_DOMAIN}>"


def build_message(request: DeliveryRequest, message: Rendered, from_address: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_address
    msg["To"] = to_header(request.to_name, request.to_address)
    msg["Subject"] = message.subject or ""
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id_for(request.key)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders should not answer
    msg.set_content(message.text)
    if message.html:
        msg.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        msg.add_attachment(attachment.content.encode("utf-8"), maintype=maintype, subtype=subtype,
                           filename=attachment.filename, params=dict(p.split("=", 1) for p in params if "=" in p))
    msg["Content-Language"] = message.language  # after set_content, which clears Content-* headers
    return msg


class SmtpEmail:
    name = "smtp"
    idempotent = False

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        security: SmtpSecurity | str = SmtpSecurity.STARTTLS,
        timeout: float = DEFAULT_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.security = SmtpSecurity(security)
        self.port = port or {SmtpSecurity.NONE: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465}[self.security]
        self.from_address = from_address
        self.username = username or None
        self._password = password
        self.timeout = timeout
        self.tls_context = tls_context

    def __repr__(self) -> str:
        return f"SmtpEmail(host={self.host!r}, port={self.port}, security={self.security.value!r})"

    async def send(self, request: DeliveryRequest, message: Rendered) -> str:
        msg = build_message(request, message, self.from_address)
        envelope_from = parseaddr(self.from_address)[1] or self.from_address
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self._password if self.username else None,
            use_tls=self.security == SmtpSecurity.SSL,
            start_tls=True if self.security == SmtpSecurity.STARTTLS else False,
            timeout=self.timeout,
            tls_context=self.tls_context,
        )
        stage = "connect"
        try:
            await smtp.connect()  # includes EHLO, STARTTLS and AUTH
            utf8 = not (request.to_address.isascii() and envelope_from.isascii())
            options = ["SMTPUTF8"] if utf8 and smtp.supports_extension("smtputf8") else []
            encoding = "utf-8" if options else "ascii"
            stage = "mail"
            await smtp.mail(envelope_from, options=options, encoding=encoding)
            stage = "rcpt"
            await smtp.rcpt(request.to_address, encoding=encoding)
            stage = "data"
            await smtp.data(msg.as_bytes(policy=SMTP_POLICY.clone(utf8=bool(options))))
        except aiosmtplib.SMTPResponseException as exc:
            raise classify_response(exc.code, exc.message, stage) from None
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError) as exc:
            # Before DATA nothing was handed over; during DATA the server may have queued it.
            raise transient(f"SMTP {stage}: {type(exc).__name__}", not_sent=stage != "data") from None
        except aiosmtplib.SMTPException as exc:
            # e.g. AUTH not offered (missing STARTTLS), STARTTLS not supported.
            raise PermanentDeliveryError(PermanentKind.REJECTED, f"SMTP {stage}: {redact(str(exc))}") from None
        except UnicodeEncodeError:
            raise PermanentDeliveryError(PermanentKind.INVALID_ADDRESS, "SMTP: the address needs SMTPUTF8, not offered") from None
        finally:
            try:
                if smtp.is_connected:
                    await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
        return str(msg["Message-ID"])


def classify_response(code: int, text: str, stage: str) -> PermanentDeliveryError | TransientDeliveryError:
    detail = f"SMTP {stage} {code}: {redact(text or '')}"
    enhanced = re.match(r"\s*([245])\.(\d{1,3})\.(\d{1,3})", text or "")
    if stage == "connect" and code in (530, 534, 535, 538):
        return PermanentDeliveryError(PermanentKind.BAD_CREDENTIALS, detail)
    if code in (535, 534):
        return PermanentDeliveryError(PermanentKind.BAD_CREDENTIALS, detail)
    if 400 <= code < 500:
        return transient(detail, not_sent=True)
    if stage == "rcpt" and 500 <= code < 600:
        if code == 553 or code == 501 or (enhanced and enhanced.group(2) == "1"):
            return PermanentDeliveryError(PermanentKind.INVALID_ADDRESS, detail)
        if code in (550, 551, 552, 554):
            return PermanentDeliveryError(PermanentKind.INACTIVE_RECIPIENT, detail)
    if 500 <= code < 600:
        return PermanentDeliveryError(PermanentKind.REJECTED, detail)
    return transient(detail, not_sent=stage != "data")
