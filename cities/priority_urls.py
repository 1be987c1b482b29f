from django.urls import path

from cities import priority_views as views

app_name = "priorities"
urlpatterns = [
    path("", views.priorities_form, name="form"),
    path("sent/", views.priorities_sent, name="sent"),
    path("confirm/<str:token>/", views.priorities_confirm, name="confirm"),
]
