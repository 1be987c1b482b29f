from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cities import views as city_views
from diplomacy import sign_in, two_factor, views
from opportunities import open_data
from opportunities import views as opportunity_views
from opportunities.digests import views as subscription_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("opportunities.api.urls")),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("about/data/", open_data.data_page, name="open_data"),
    path("about/data/listings.csv", open_data.bulk_download, {"fmt": "csv"}, name="bulk_csv"),
    path("about/data/listings.json", open_data.bulk_download, {"fmt": "json"}, name="bulk_json"),
    path("opportunities/", include("opportunities.urls")),
    path("programs/", opportunity_views.programs, name="programs"),
    path("events/", opportunity_views.events, name="events"),
    path("events/calendar.ics", opportunity_views.events_ics, name="events_ics"),
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path("subscribe/", include("opportunities.digests.urls")),
    path("places/", city_views.place_finder, name="place_finder"),
    path("states/", include("cities.urls")),
    path("admin/two-factor/", two_factor.verify, name="two_factor"),
    # Password reset by email for staff; the names are those the admin's templates link to.
    path(
        "admin/password_reset/",
        sign_in.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password_reset/done/",
        sign_in.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "admin/reset/<uidb64>/<token>/",
        sign_in.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "admin/reset/done/",
        sign_in.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("solutions/", include("cities.solution_urls")),
    path("priorities/", include("cities.priority_urls")),
    path("staff/", include("cities.staff_urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

handler404 = "diplomacy.views.page_not_found"
handler500 = "diplomacy.views.server_error"

admin.site.site_header = "Subnational Diplomacy Portal — staff"
admin.site.site_title = "Subnational Diplomacy Portal"
admin.site.login_form = sign_in.StaffSignInForm
