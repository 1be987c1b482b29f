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
    return {
        "site_name": settings.SITE_NAME,
        "alternate_languages": alternates,
        "navigation": navigation,
    }
