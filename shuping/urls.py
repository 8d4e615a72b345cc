from django.urls import include, path

from shuping.accounts import views as account_views
from shuping.api.api import api
from shuping.core import views as core_views

urlpatterns = [
    path("", core_views.dashboard, name="dashboard"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("accounts/", include("shuping.accounts.urls")),
    path("orgs/", include("shuping.orgs.urls")),
    path("campaigns/", include("shuping.campaigns.urls")),
    path("audit/", include("shuping.audit.urls")),
    path("ballots/", include("shuping.ballots.urls")),
    path("v/", include("shuping.ballots.urls_vote")),
    path("scoring/", include("shuping.scoring.urls")),
    path("results/", include("shuping.results.urls")),
    path("meetings/", include("shuping.meetings.urls")),
    path("reports/", include("shuping.reports.urls")),
    path("ledger/", include("shuping.rectification.urls")),
    path("speeches/", include("shuping.speeches.urls")),
    path("exports/", include("shuping.exports.urls")),
    path("api/", api.urls),
]
