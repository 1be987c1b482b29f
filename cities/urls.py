from django.urls import path

from cities import views

app_name = "cities"
urlpatterns = [
    path("", views.state_map, name="map"),
    path("<str:code>/", views.state_detail, name="state"),
    path("<str:code>/<slug:slug>/", views.place_detail, name="place"),
]
