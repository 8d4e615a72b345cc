"""Drafting pages under /speeches/: 点评 drafts, the closing speech outline, the phrase library (views_drafts)."""

from django.urls import path

from shuping.speeches import views_drafts as v

urlpatterns = [
    path("drafts/", v.index, name="drafts"),
    path("draft/<int:participant_id>/", v.draft, name="draft"),
    path("draft/<int:participant_id>/insert/", v.insert, name="draft_insert"),
    path("draft/<int:participant_id>/polish/", v.polish, name="draft_polish"),
    path("closing/<int:campaign_id>/", v.closing, name="closing"),
    path("closing/<int:campaign_id>/outline.docx", v.closing_docx, name="closing_docx"),
    path("phrases/", v.phrase_list, name="phrases"),
    path("phrases/add/", v.phrase_add, name="phrase_add"),
    path("phrases/<int:phrase_id>/edit/", v.phrase_edit, name="phrase_edit"),
    path("phrases/<int:phrase_id>/toggle/", v.phrase_toggle, name="phrase_toggle"),
]
