"""Digest messages on the wire, built without Django's MIME objects.

A digest run sends tens of thousands of two-part messages. Building each through
`EmailMultiAlternatives.message().as_bytes()` costs more than the SMTP exchange itself (the
email package's generator walks and re-encodes every part), so the worker writes the same
multipart/alternative message directly: the headers Django would set (Subject, From, To, Date,
Message-ID and the extra ones), each passed through Django's own header checks and encoders,
and two UTF-8 parts in 7bit or 8bit. A part with a line longer than RFC 5322 allows (998
octets) would need quoted-printable: such a message is built by Django instead, so the output
never differs from what Django sends. It is handed to the connection of Django's configured
SMTP backend, so the host, port, TLS and login settings apply.
"""

from __future__ import annotations

import random
import re
from email.policy import compat32
from email.utils import formatdate

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    forbid_multi_line_headers,
    sanitize_address,
)

LINE_BREAK = re.compile(r"\r\n|\r|\n")
FOLD = compat32.clone(linesep="\r\n")
FOLD_AT = 78  # header lines longer than this are folded as Django's generator folds them


def can_send_directly(connection) -> bool:
    """Whether the backend is Django's SMTP backend, whose smtplib connection we can use."""
    return isinstance(connection, SMTPBackend)


def wire_message(
    subject: str, text: str, html: str, to: str, headers: dict[str, str]
) -> bytes | None:
    """The message as Django's SMTP backend would send it, or None when a part needs
    quoted-printable (then the caller lets Django build it)."""
    text_part, html_part = _part(text, "plain"), _part(html, "html")
    if text_part is None or html_part is None:
        return None
    boundary = _boundary(text_part, html_part)
    lines = [
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n',
        "MIME-Version: 1.0\r\n",
    ]
    fields = [("Subject", subject), ("From", settings.DEFAULT_FROM_EMAIL), ("To", to)]
    if "date" not in {name.lower() for name in headers}:
        fields.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    fields += headers.items()
    for name, value in fields:
        name, value = forbid_multi_line_headers(name, value, settings.DEFAULT_CHARSET)
        line = f"{name}: {value}\r\n"
        lines.append(line if len(line) <= FOLD_AT + 2 else FOLD.fold(name, value))
    head = "".join(lines).encode("ascii")
    return b"".join(
        (
            head,
            b"\r\n--",
            boundary.encode(),
            b"\r\n",
            text_part,
            b"\r\n--",
            boundary.encode(),
            b"\r\n",
            html_part,
            b"\r\n--",
            boundary.encode(),
            b"--\r\n",
        )
    )


def _part(content: str, subtype: str) -> bytes | None:
    body = content.encode("utf-8")
    if b"\r" in body:  # templates write \n; anything else is normalised as the generator does
        body = LINE_BREAK.sub("\r\n", content).encode("utf-8")
        lines = body.split(b"\r\n")
    else:
        lines = body.split(b"\n")
        body = b"\r\n".join(lines)
    if max(map(len, lines)) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        return None
    encoding = "7bit" if body.isascii() else "8bit"
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
    return f"{head}Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii") + body


def _boundary(*parts: bytes) -> str:
    while True:
        boundary = f"{'=' * 15}{random.randrange(10**19):019d}=="  # noqa: S311 - not a secret
        if not any(boundary.encode() in part for part in parts):
            return boundary


def send_wire_message(connection: SMTPBackend, to: str, message: bytes) -> None:
    """Send over the backend's open connection (opened here if it is not), as Django's backend
    does: envelope addresses sanitised the same way, errors raised."""
    if connection.connection is None:
        connection.open()
    encoding = settings.DEFAULT_CHARSET
    connection.connection.sendmail(
        sanitize_address(settings.DEFAULT_FROM_EMAIL, encoding),
        [sanitize_address(to, encoding)],
        message,
    )
