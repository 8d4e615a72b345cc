"""Campaigns (年度考核方案), their participants and lot draws."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuping.campaigns.scheme import default_scheme


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("草拟")
    PUBLISHED = "published", _("已发布")
    MEETING = "meeting", _("会议中")
    TALLYING = "tallying", _("统分中")
    REVIEW = "review", _("审核中")
    ANNOUNCED = "announced", _("已公布")
    ARCHIVED = "archived", _("已归档")


# Legal moves. Backward moves need a reason (they are audited with it).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CampaignState.DRAFT: (CampaignState.PUBLISHED,),
    CampaignState.PUBLISHED: (CampaignState.MEETING,),
    CampaignState.MEETING: (CampaignState.TALLYING,),
    CampaignState.TALLYING: (CampaignState.REVIEW,),
    CampaignState.REVIEW: (CampaignState.ANNOUNCED, CampaignState.TALLYING),
    CampaignState.ANNOUNCED: (CampaignState.ARCHIVED, CampaignState.REVIEW),
    CampaignState.ARCHIVED: (),
}
BACKWARD = {(CampaignState.REVIEW, CampaignState.TALLYING), (CampaignState.ANNOUNCED, CampaignState.REVIEW)}


class Campaign(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    committee = models.ForeignKey(
        "orgs.Unit", verbose_name=_("考核主体"), on_delete=models.PROTECT, related_name="campaigns"
    )
    state = models.CharField(_("状态"), max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT)
    scheme = models.JSONField(_("考核规则"), default=default_scheme)
    meeting_date = models.DateField(_("述职评议会日期"), null=True, blank=True)
    report_deadline = models.DateField(_("述职报告截止日期"), null=True, blank=True)
    copied_from = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "committee__code"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="one_campaign_per_year")]

    def __str__(self) -> str:
        return self.title

    @property
    def scheme_frozen(self) -> bool:
        return self.state != CampaignState.DRAFT

    def next_states(self) -> tuple[str, ...]:
        return TRANSITIONS[self.state]


class ParticipantMode(models.TextChoices):
    ONSITE = "onsite", _("现场述职")
    WRITTEN = "written", _("书面述职")


class Participant(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="participations")
    secretary = models.ForeignKey(
        "orgs.Person", verbose_name=_("述职人"), on_delete=models.PROTECT, related_name="participations"
    )
    mode = models.CharField(_("述职方式"), max_length=10, choices=ParticipantMode.choices, default=ParticipantMode.ONSITE)
    speaking_order = models.PositiveIntegerField(_("述职顺序"), null=True, blank=True)
    draw_group = models.CharField(_("抽签分组"), max_length=50, blank=True)

    class Meta:
        ordering = ["campaign", "mode", "speaking_order", "unit__sort_order", "unit__code"]
        verbose_name = _("述职对象")
        verbose_name_plural = _("述职对象")
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="unique_participant_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.secretary}"


class LotDraw(models.Model):
    """One drawing by lot among a group; replayable from seed + candidates."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="lot_draws")
    group = models.CharField(_("抽签分组"), max_length=50)
    seed = models.CharField(max_length=32)
    candidates = models.JSONField()  # unit codes, sorted
    count = models.PositiveIntegerField(_("抽取人数"))
    drawn = models.JSONField()  # unit codes in drawn order
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at"]
