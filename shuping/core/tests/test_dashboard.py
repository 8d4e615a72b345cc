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
