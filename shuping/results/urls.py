"""Pages of 考核结果."""

app_name = "results"
urlpatterns: list = []
