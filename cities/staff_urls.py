from django.urls import path

from cities import priority_views, reach_views, underserved_views

app_name = "staff"
urlpatterns = [
    path("priorities/", priority_views.priorities_dashboard, name="priorities"),
    path("reach/", reach_views.reach_dashboard, name="reach"),
    path("reach/gaps/", reach_views.reach_gaps, name="gaps"),
    path("reach/underserved/", underserved_views.mark_underserved, name="underserved"),
]
