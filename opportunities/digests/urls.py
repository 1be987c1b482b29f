from django.urls import path

from opportunities.digests import views

app_name = "subscriptions"
urlpatterns = [
    path("check-your-email/", views.check_email, name="check_email"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("not-interested/<str:token>/", views.not_interested, name="not_interested"),
]
