from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language, get_language_info
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


def site(request):
    """Site name, the main navigation, and this same page in the other languages."""
    current = get_language()
    alternates = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "url": translate_url(request.get_full_path(), code),
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
