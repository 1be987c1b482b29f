from django.urls import path, re_path

from opportunities.api import views

app_name = "api"
urlpatterns = [
    path("", views.ApiRoot.as_view(), name="root"),
    path("listings/", views.ListingList.as_view(), name="listings"),
    path("listings/<slug:slug>/", views.ListingDetail.as_view(), name="listing"),
    path("states/", views.StateList.as_view(), name="states"),
    path("states/<str:usps_code>/", views.StateDetail.as_view(), name="state"),
    path("places/", views.PlaceList.as_view(), name="places"),
    path("places/<int:id>/", views.PlaceDetail.as_view(), name="place"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
