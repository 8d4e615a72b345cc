"""材料雷同 pages, under /speeches/."""

from django.urls import path

from shuping.speeches import views_similarity

urlpatterns = [
    path("similarity/<int:pk>/", views_similarity.campaign_pairs, name="similarity"),
    path("similarity/<int:pk>/pair/<int:a>/<int:b>/", views_similarity.pair, name="similarity_pair"),
]
