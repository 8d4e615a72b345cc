from shuping.campaigns.models import Campaign


def test_it_requires_login(client, db):
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_organiser_sees_draft_campaigns(client_for, users, district):
    Campaign.objects.create(year=2023, title="2023年度述职评议", committee=district.root)
    r = client_for(users.organiser).get("/")
    assert "2023年度述职评议" in r.content.decode()
    assert "草拟" in r.content.decode()


def test_reporter_does_not_see_drafts(client_for, users, district):
    Campaign.objects.create(year=2023, title="2023年度述职评议", committee=district.root)
    r = client_for(users.reporter).get("/")
    assert r.status_code == 200
    assert "2023年度述职评议" not in r.content.decode()


def test_pages_carry_a_strict_csp(client, db):
    r = client.get("/login/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_reporter_sees_their_campaign_with_all_its_participants_counted(client_for, users, district):
    from shuping.campaigns.models import Participant

    c = Campaign.objects.create(year=2023, title="2023年度述职评议", committee=district.root, state="published")
    for unit in (district.east, district.west, district.edu):
        Participant.objects.create(campaign=c, unit=unit, secretary=unit.secretary)
    body = client_for(users.reporter).get("/").content.decode()
    assert "2023年度述职评议" in body
    assert "3 个（现场述职 3，书面述职 0）" in body


def test_dashboard_query_count_is_flat(client_for, users, district, django_assert_max_num_queries):
    for year in range(2015, 2025):
        Campaign.objects.create(year=year, title=f"{year}年度述职评议", committee=district.root)
    c = client_for(users.organiser)
    with django_assert_max_num_queries(8):
        assert c.get("/").status_code == 200
