"""Compressed responses (Brotli or gzip, whichever the client prefers), BREACH-safe.

BREACH recovers a secret from the size of compressed responses that also reflect the
attacker's input. The secrets a response can carry here are the CSRF token and what a signed-in
member of staff sees, so responses that used the CSRF token and responses to signed-in users
are sent uncompressed; everything else (public pages, feeds, exports, the API) holds nothing
secret and is compressed. Django also masks the CSRF token afresh in every response, and
django-http-compression pads compressed responses with a random-length `X-Noise` header.
"""

from django_http_compression.middleware import HttpCompressionMiddleware, best_coding


def accepted_coding(request) -> str:
    """Brotli, gzip or identity, as the client prefers. zstd is left out: not every client that
    offers it decodes it (and Python reads it natively only from 3.14)."""
    offered = request.META.get("HTTP_ACCEPT_ENCODING", "")
    offered = ",".join(part for part in offered.split(",") if not part.strip().startswith("zstd"))
    return best_coding(offered)


def used_the_csrf_token(request) -> bool:
    """The response carries the CSRF token (a form) or renews its cookie. Django sets this key
    when the token is asked for (`get_token`), and resets its value once the cookie is sent."""
    return "CSRF_COOKIE_NEEDS_UPDATE" in request.META


def holds_a_secret(request) -> bool:
    user = getattr(request, "user", None)
    return used_the_csrf_token(request) or bool(user is not None and user.is_authenticated)


class CompressionMiddleware(HttpCompressionMiddleware):
    def maybe_compress(self, request, response) -> None:
        if holds_a_secret(request):
            return
        # The parent reads the header: leave it only the coding chosen here.
        request.META["HTTP_ACCEPT_ENCODING"] = accepted_coding(request)
        super().maybe_compress(request, response)
