from django.urls import path

from cities import priority_views

app_name = "staff"
urlpatterns = [
    path("priorities/", priority_views.priorities_dashboard, name="priorities"),
]
