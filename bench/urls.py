"""The site's URLs plus the benchmarks' baseline views."""

from django.urls import path

from bench.harness import urlpatterns_with
from bench.naive import naive_search

urlpatterns = urlpatterns_with([path("bench/naive/", naive_search)])
