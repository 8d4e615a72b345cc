"""Pages of 讲话与点评: reading texts into problems (urls_reading), drafts and the phrase library (urls_drafts),
the 材料雷同 check (urls_similarity)."""

from django.urls import include, path

from shuping.speeches import urls_drafts, urls_reading, urls_similarity

app_name = "speeches"
urlpatterns = [
    path("", include(urls_reading)),
    path("", include(urls_drafts)),
    path("", include(urls_similarity)),
]
