"""The phrase library: seeded defaults, the page (organisers edit, chairs read), audited edits, drafts follow it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.speeches import drafting, facts, phrases
from shuping.speeches.models import Phrase
from shuping.speeches.phrases import DEFAULT_PHRASES, load_default_phrases


@pytest.fixture
def library(db):
    load_default_phrases(Phrase)
    return Phrase.objects.all()


def test_loading_the_defaults_is_idempotent_and_keeps_edits(library, users):
    n = library.count()
    assert n == len(DEFAULT_PHRASES)
    p = Phrase.objects.filter(slot="closing").first()
    phrases.update_phrase(users.organiser, p.pk, "closing", "", "我们自己的结尾。", 5)
    assert load_default_phrases(Phrase) == 1  # the changed default comes back beside the edit
    assert Phrase.objects.filter(text="我们自己的结尾。").exists()
    assert load_default_phrases(Phrase) == 0


def test_organiser_adds_edits_and_disables_audited(library, users):
    p = phrases.create_phrase(users.organiser, "highlight", "", "“{fact}”，这件事办得漂亮。")
    phrases.update_phrase(users.organiser, p.pk, "highlight", "", "“{fact}”，办得扎实。", 1)
    phrases.set_phrase_active(users.organiser, p.pk, False)
    actions = list(AuditEvent.objects.filter(action__startswith="speeches.phrase").values_list("action", flat=True))
    assert actions == ["speeches.phrase_create", "speeches.phrase_update", "speeches.phrase_disable"]
    p.refresh_from_db()
    assert p.text == "“{fact}”，办得扎实。" and not p.active


@pytest.mark.parametrize("who", ["chair", "observer", "reporter", "nobody"])
def test_only_organisers_edit(library, users, who):
    with pytest.raises(PermissionDenied):
        phrases.create_phrase(getattr(users, who), "closing", "", "x")


def test_refused_input(library, users):
    for slot, category, text, message in (("nope", "", "x", "用途"), ("closing", "style", "x", "只有"),
                                          ("problem", "nope", "x", "类别"), ("problem", "", "  ", "请填写"),
                                          ("problem", "", "字" * 501, "500")):
        with pytest.raises(ValidationError, match=message):
            phrases.create_phrase(users.organiser, slot, category, text)


def test_drafts_use_only_active_phrases(library, users):
    Phrase.objects.filter(slot="highlight").update(active=False)
    phrases.create_phrase(users.organiser, "highlight", "", "【自定】{fact}。")
    book = facts.phrase_book()
    f = drafting.ReporterFacts(1, "东城", "钱", performance=[
        drafting.Snippet("新建党支部3个", drafting.Source("述职报告", "/reports/1/"))])
    assert drafting.commentary_draft(f, book).sections[0].sentences[0].text == "【自定】新建党支部3个。"


# --- the page ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["organiser", "chair"])
def test_speech_editors_read_the_library(library, users, client_for, who):
    html = client_for(getattr(users, who)).get("/speeches/phrases/").content.decode()
    assert "措辞库" in html and "党务干部配备不足" in html and 'data-testid="slot-problem"' in html
    assert ('data-testid="add-form"' in html) == (who == "organiser")


@pytest.mark.parametrize("who", ["observer", "judge", "reporter", "teller", "owner", "admin", "nobody"])
def test_others_get_403_on_the_library(library, users, client_for, who):
    c = client_for(getattr(users, who))
    p = library.first()
    assert c.get("/speeches/phrases/").status_code == 403
    assert c.post("/speeches/phrases/add/", {"slot": "closing", "text": "x"}).status_code == 403
    assert c.get(f"/speeches/phrases/{p.pk}/edit/").status_code == 403
    assert c.post(f"/speeches/phrases/{p.pk}/toggle/", {"active": "0"}).status_code == 403


def test_the_chair_may_not_change_the_library(library, users, client_for):
    c = client_for(users.chair)
    p = library.first()
    assert c.post("/speeches/phrases/add/", {"slot": "closing", "text": "x"}).status_code == 403
    assert c.post(f"/speeches/phrases/{p.pk}/edit/", {"slot": p.slot, "text": "y"}).status_code == 403
    assert c.post(f"/speeches/phrases/{p.pk}/toggle/", {"active": "0"}).status_code == 403
    assert Phrase.objects.filter(active=False).count() == 0 and not Phrase.objects.filter(text__in=["x", "y"]).exists()


def test_the_organiser_edits_through_the_page(library, users, client_for):
    c = client_for(users.organiser)
    r = c.post("/speeches/phrases/add/", {"slot": "suggestion", "category": "members", "text": "要管好流动党员。",
                                          "sort_order": "3"})
    p = Phrase.objects.get(text="要管好流动党员。")
    assert r.status_code == 302 and r["Location"].endswith(f"#phrase-{p.pk}") and p.category == "members"
    assert c.get(f"/speeches/phrases/{p.pk}/edit/").status_code == 200
    c.post(f"/speeches/phrases/{p.pk}/edit/", {"slot": "suggestion", "category": "", "text": "要管好每名党员。"})
    c.post(f"/speeches/phrases/{p.pk}/toggle/", {"active": "0"})
    p.refresh_from_db()
    assert p.text == "要管好每名党员。" and p.category == "" and not p.active
    html = c.get("/speeches/phrases/").content.decode()
    assert 'class="disabled"' in html and "启用</button>" in html
    r = c.post(f"/speeches/phrases/{p.pk}/edit/", {"slot": "suggestion", "text": ""})
    assert r.status_code == 200 and "请填写措辞" in r.content.decode()
    assert c.get("/speeches/phrases/999999/edit/").status_code == 404
    assert c.post("/speeches/phrases/999999/toggle/", {"active": "0"}).status_code == 404
