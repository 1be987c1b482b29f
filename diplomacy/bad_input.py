"""Input the portal cannot read is a 400, site-wide, before any view or static file sees it.

A NUL byte (PostgreSQL can neither store nor compare one) or bytes that are not UTF-8 (Django
would quietly turn them into "�") in the path, in a query parameter, in a form field's name or
value (urlencoded or multipart; file contents are not read) or in a header the portal reads
gets a 400 saying which part was wrong: a page in the site's look, or JSON in the API's error
style under /api/. A query parameter may not hold other control characters either (tab and
line breaks aside): a search's words reach feed titles, calendars and CSV cells, and XML cannot
carry an ESC at all; no one types one into a search box. Forms may (pasted text brings form
feeds along), and what would reject them is the form's own validation, with the text kept.
Checking once here, not in each view, keeps a NUL from reaching a query however a new view
reads its input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

# Headers whose values the portal reads as text: the API key (looked up), the session and other
# cookies (the session key is looked up), the forwarded address and the user agent (stored with
# sign-in attempts).
HEADERS_READ = ("X-Api-Key", "Cookie", "X-Forwarded-For", "User-Agent")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_PART_NAME = re.compile(rb';\s*name="?([^";\r\n]*)', re.IGNORECASE)
_PART_FILENAME = re.compile(rb";\s*filename\*?=", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """What could not be read: where ("path", "parameter", "field" or "header"), its name, and
    whether it held a NUL byte or bytes that are not UTF-8."""

    where: str
    name: str
    nul: bool
    control: bool = False  # another control character, in a query parameter

    def message(self) -> str:
        if self.where == "path":
            if self.nul:
                return _("The address contains a NUL character (%00), which is never allowed.")
            return _("The address contains bytes that are not UTF-8 text.")
        if self.nul:
            return _("This value contains a NUL character (%00), which is never allowed.")
        if self.control:
            return _(
                "This value contains a control character (such as %1B), which a search "
                "parameter may not hold."
            )
        return _("This value is not UTF-8 text.")


def _unreadable(raw: bytes) -> bool | None:
    """True for a NUL byte, False for bytes that are not UTF-8, None when the text is fine."""
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return None


# C0 controls and DEL, except tab, line feed and carriage return.
_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refused_in_parameter(value: str) -> bool:
    """Whether a query parameter's text gets the 400: a NUL or another control character."""
    return "\x00" in value or bool(_CONTROL.search(value.encode("utf-8", "surrogateescape")))


def _raw(value: str) -> bytes:
    """The bytes a WSGI value stands for (servers pass them as Latin-1 text)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from a server: text a test client passed as it is
        return value.encode("utf-8", "surrogateescape")


def _shown(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace("\x00", "%00")


def _urlencoded_problem(raw: bytes, where: str) -> Problem | None:
    """The first unreadable name or value in a query string or urlencoded form body."""
    for pair in raw.split(b"&"):
        name, _sep, value = pair.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" "))
        for part in (name, unquote_to_bytes(value.replace(b"+", b" "))):
            nul = _unreadable(part)
            if nul is not None:
                return Problem(where, _shown(name), nul)
            if where == "parameter" and _CONTROL.search(part):
                return Problem(where, _shown(_CONTROL.sub(b"?", name)), False, control=True)
    return None


def _multipart_problem(body: bytes, boundary: bytes) -> Problem | None:
    """The first unreadable field name or value (or file name) in a multipart form body."""
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        match = _PART_NAME.search(head)
        name = _shown(match.group(1)) if match else ""
        nul = _unreadable(head)
        if nul is None and not _PART_FILENAME.search(head):
            nul = _unreadable(content.removesuffix(b"\r\n"))
        if nul is not None:
            return Problem("field", name, nul)
    return None


def _parsed_form_problem(request: HttpRequest) -> Problem | None:
    """For a multipart body too large to hold in memory (a file upload): the NUL bytes in the
    fields Django parsed (it has already replaced bytes that are not UTF-8)."""
    for name, values in [*request.POST.lists(), *request.FILES.lists()]:
        texts = [name, *(getattr(value, "name", value) or "" for value in values)]
        if any("\x00" in text for text in texts):
            return Problem("field", name.replace("\x00", "%00"), True)
    return None


def _form_problem(request: HttpRequest) -> Problem | None:
    if request.content_type not in FORM_TYPES:
        return None
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django reads no body either
    if size <= 0:
        return None
    if request.content_type == FORM_TYPES[0]:
        return _urlencoded_problem(request.body, "field")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    boundary = request.content_params.get("boundary", "")
    if (limit is not None and size > limit) or not boundary:
        return _parsed_form_problem(request)
    return _multipart_problem(request.body, boundary.encode("latin-1", "replace"))


def _header_problem(request: HttpRequest) -> Problem | None:
    for header in HEADERS_READ:
        key = "HTTP_" + header.upper().replace("-", "_")
        nul = _unreadable(_raw(request.META.get(key, "")))
        if nul is not None:
            return Problem("header", header, nul)
    # Cookie values may spell a NUL as an escape ("\000") that Django decodes.
    for name, value in request.COOKIES.items():
        if "\x00" in name or "\x00" in value:
            return Problem("header", "Cookie", True)
    return None


def find_problem(request: HttpRequest) -> Problem | None:
    """The first part of the request that cannot be read as text, or None."""
    # Django has already written bytes that are not UTF-8 back as %XX escapes (which no address
    # of the portal contains as text), so the path is read once more.
    nul = _unreadable(unquote_to_bytes(request.path_info))
    if nul is not None:
        return Problem("path", "", nul)
    return (
        _urlencoded_problem(_raw(request.META.get("QUERY_STRING", "")), "parameter")
        or _header_problem(request)
        or _form_problem(request)
    )


def bad_input_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    """JSON in the API's error style under /api/, else the 400 page, in the path's language."""
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        if request.path_info.startswith("/api/"):
            body = {"status": 400}
            if problem.where == "path":
                body["detail"] = problem.message()
            else:
                body["detail"] = _("Some parameters are not valid; see errors.")
                body["errors"] = {problem.name: [problem.message()]}
            response = JsonResponse(body, status=400)
        else:
            response = render(request, "400.html", {"problem": problem}, status=400)
    # The middleware that would add these comes later in MIDDLEWARE and never sees this answer.
    response["Content-Security-Policy"] = build_policy()
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = find_problem(request)
        if problem is not None:
            return bad_input_response(request, problem)
        return self.get_response(request)
