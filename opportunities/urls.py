from django.urls import path

from opportunities import views

app_name = "opportunities"
urlpatterns = [
    path("", views.listing_search, name="search"),
    path("preview/<int:pk>/", views.listing_preview, name="preview"),
    path("<slug:slug>/", views.listing_detail, name="detail"),
    path("<slug:slug>/calendar.ics", views.listing_ics, name="ics"),
]
