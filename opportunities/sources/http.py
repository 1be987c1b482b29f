"""The one HTTP client every adapter uses: a clear User-Agent, a timeout on every request, a
pause between requests to the same source, a size limit, and every way a request can fail
turned into a `SourceFault` that says why, for staff."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings


class SourceFault(Exception):
    """The source could not be read this time: the run fails, nothing changes, and the run is
    retried later (not before `retry_after` seconds when upstream said so)."""

    def __init__(self, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def json(self) -> dict:
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, ValueError) as error:
            raise SourceFault(f"The answer is not valid JSON ({error}).") from error
        if not isinstance(data, dict):
            raise SourceFault("The answer is JSON but not an object.")
        return data


def retry_after_seconds(value: str | None) -> int | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(int((moment - datetime.now(UTC)).total_seconds()), 0)


class Client:
    def __init__(self, interval: float | None = None):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.SOURCES_USER_AGENT
        self.interval = settings.SOURCES_REQUEST_INTERVAL if interval is None else interval
        self._last_request = 0.0

    def close(self) -> None:
        self.session.close()

    def _pause(self) -> None:
        wait = self._last_request + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()

    def request(
        self, method: str, url: str, *, json_body: dict | None = None, headers: dict | None = None
    ) -> Response:
        self._pause()
        host = urlsplit(url).netloc or url
        timeout = settings.SOURCES_TIMEOUT
        try:
            with self.session.request(
                method, url, json=json_body, headers=headers, timeout=timeout, stream=True
            ) as answer:
                status = answer.status_code
                if status == 429:
                    seconds = retry_after_seconds(answer.headers.get("Retry-After"))
                    later = f"; it asks us to wait {seconds} s" if seconds is not None else ""
                    raise SourceFault(f"{host} is limiting our requests (429){later}.", seconds)
                if status >= 500:
                    raise SourceFault(f"{host} had a server error ({status}).")
                if status == 304:
                    return Response(status, b"", dict(answer.headers))
                if status >= 400:
                    raise SourceFault(f"{host} refused the request ({status}).")
                body = self._read(answer, host)
                return Response(status, body, dict(answer.headers))
        except requests.exceptions.ChunkedEncodingError as error:
            raise SourceFault(f"The answer from {host} was cut off ({error}).") from error
        except requests.Timeout as error:
            raise SourceFault(f"{host} did not answer within {timeout:g} s.") from error
        except requests.ConnectionError as error:
            raise SourceFault(
                f"The connection to {host} failed or was cut off ({error})."
            ) from error
        except requests.RequestException as error:
            raise SourceFault(f"The request to {host} failed ({error}).") from error

    def _read(self, answer: requests.Response, host: str) -> bytes:
        limit = settings.SOURCES_MAX_BYTES
        chunks, size = [], 0
        for chunk in answer.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise SourceFault(f"{host} sent more than {limit} bytes; not read.")
            chunks.append(chunk)
        body = b"".join(chunks)
        declared = answer.headers.get("Content-Length")
        encoded = "Content-Encoding" in answer.headers  # then the length counts compressed bytes
        if declared and declared.isdigit() and not encoded and len(body) != int(declared):
            raise SourceFault(
                f"{host} sent {len(body)} of the {declared} bytes it announced "
                "(the answer was cut off)."
            )
        return body
