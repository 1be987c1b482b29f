from django.urls import path

from opportunities import feeds, open_data, views

app_name = "opportunities"
urlpatterns = [
    path("", views.listing_search, name="search"),
    path("preview/<int:pk>/", views.listing_preview, name="preview"),
    path("feed.rss", feeds.SearchFeed(), name="feed_rss"),
    path("feed.atom", feeds.SearchAtomFeed(), name="feed_atom"),
    path("calendar.ics", open_data.search_calendar, name="search_ics"),
    path("export.csv", open_data.search_csv, name="export_csv"),
    path("<slug:slug>/", views.listing_detail, name="detail"),
    path("<slug:slug>/calendar.ics", views.listing_ics, name="ics"),
]
