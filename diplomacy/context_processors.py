from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, get_language_info, override
from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    ("opportunities:search", _("Find opportunities")),
    ("programs", _("For students")),
    ("solutions:list", _("Local solutions")),
    ("cities:map", _("States")),
    ("subscribe", _("Subscribe")),
    ("about", _("About")),
]

# The footer adds the two-way channel and the events to the main navigation.
FOOTER_NAVIGATION = [
    ("events", _("Events")),
    ("priorities:form", _("Tell us your priorities")),
    ("solutions:submit", _("Share a local solution")),
    ("place_finder", _("Find your place")),
]


def _same_page_in(request, code: str) -> str:
    """This page's address in another language; its home page when the address is no page
    (a 404), so that a requested "//other.example" never becomes a link to another site."""
    path = request.get_full_path()
    url = translate_url(path, code)
    if url == path or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        with override(code):
            return reverse("home")
    return url


def site(request):
    """Site name, the main navigation, and this same page in the other languages."""
    current = get_language()
    alternates = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "url": _same_page_in(request, code),
        }
        for code, _name in settings.LANGUAGES
        if code != current
    ]
    navigation = []
    for name, label in NAVIGATION:
        url = reverse(name)
        navigation.append({"url": url, "label": label, "current": request.path.startswith(url)})
    footer_navigation = [
        {"url": reverse(name), "label": label, "current": False}
        for name, label in NAVIGATION + FOOTER_NAVIGATION
    ]
    return {
        "site_name": settings.SITE_NAME,
        "footer_navigation": footer_navigation,
        "alternate_languages": alternates,
        "navigation": navigation,
    }
