from django.urls import path

from cities import solution_views as views

app_name = "solutions"
urlpatterns = [
    path("", views.solution_list, name="list"),
    path("submit/", views.solution_submit, name="submit"),
    path("submit/sent/", views.solution_sent, name="sent"),
    path("status/<str:token>/", views.solution_status, name="status"),
    path("<int:pk>/", views.solution_detail, name="detail"),
]
