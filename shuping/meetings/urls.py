"""Pages of 述职评议会: control screen and setup (urls_control), projector (urls_screen), chair's pad (urls_chair)."""

from django.urls import include, path

from shuping.meetings import urls_chair, urls_control, urls_screen

app_name = "meetings"
urlpatterns = [
    path("", include(urls_control)),
    path("", include(urls_screen)),
    path("", include(urls_chair)),
]
