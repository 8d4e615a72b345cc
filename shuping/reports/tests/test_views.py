"""述职报告 pages: permissions of every page and POST, the writer's page, autosave (JSON and 409),
sign/submit messages, the organiser's progress table, review and reminders, versions, Word import."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuping.audit.models import AuditEvent
from shuping.reports import actions
from shuping.reports.models import Report, ReportState
from shuping.reports.tests import docx_samples
from shuping.reports.tests.conftest import TEXT

JSON = {"HTTP_ACCEPT": "application/json"}


def content(resp) -> str:
    return resp.content.decode()


def test_pages_need_a_login(client, report, campaign):
    for url in ("/reports/", f"/reports/{report.pk}/", f"/reports/campaign/{campaign.pk}/"):
        assert client.get(url).status_code == 302


def test_permissions_of_every_page_and_post(users, client_for, campaign, report, fill):
    fill(report)
    r, c = f"/reports/{report.pk}", f"/reports/campaign/{campaign.pk}"
    reads = [f"{r}/", f"{r}/versions/", f"{r}/versions/1/"]
    writes = [(f"{r}/save/", {"revision": "1", "section_plans": "x"}), (f"{r}/sign/", {"name": "x"}),
              (f"{r}/submit/", {}), (f"{r}/versions/1/restore/", {}), (f"{r}/import/", {})]
    reviews = [(f"{r}/return/", {"comment": "x"}), (f"{r}/approve/", {}), (f"{c}/remind/", {})]
    # Another unit's reporter: 404 on this report.
    other = client_for(users.other_reporter)
    for url in reads:
        assert other.get(url).status_code == 404, url
    for url, data in writes:
        assert other.post(url, data).status_code == 404, url
    assert other.get(f"{c}/").status_code == 403
    # Nobody with a report role: 403.
    for who in (users.nobody, users.judge, users.admin, users.teller):
        cl = client_for(who)
        for url in ["/reports/", f"{c}/", f"{c}/mine/", *reads]:
            assert cl.get(url).status_code == 403, (who, url)
        for url, data in writes + reviews:
            assert cl.post(url, data).status_code == 403, (who, url)
    # Readers read; only the organiser reviews; nobody but the reporter writes.
    for who in (users.organiser, users.observer, users.chair):
        cl = client_for(who)
        for url in ["/reports/", f"{c}/", *reads]:
            assert cl.get(url).status_code == 200, (who, url)
        for url, data in writes:
            assert cl.post(url, data).status_code == 403, (who, url)
        assert cl.get(f"{c}/mine/").status_code == 403
    for who in (users.observer, users.chair):
        for url, data in reviews:
            assert client_for(who).post(url, data).status_code == 403, (who, url)
    rep = client_for(users.reporter)
    for url, data in reviews:
        assert rep.post(url, data).status_code == 403, url
    assert rep.get(f"{c}/").status_code == 403
    report.refresh_from_db()
    assert report.revision == 1 and report.state == ReportState.DRAFT
    # GETs on POST-only URLs are refused.
    assert rep.get(f"{r}/submit/").status_code == 405


def test_the_reporter_finds_the_report_from_the_list_and_sees_last_years_problems(users, client_for, campaign, prior):
    rep = client_for(users.reporter)
    page = content(rep.get("/reports/"))
    assert campaign.title in page and "填写" in page and "各考核方案的报告进度" not in page
    resp = rep.get(f"/reports/campaign/{campaign.pk}/mine/")
    report = Report.objects.get(participant__unit=users.reporter.unit)
    assert resp.status_code == 302 and resp.url == f"/reports/{report.pk}/"
    page = content(rep.get(resp.url))
    for text in ("履职情况和成效", "存在问题", "原因分析", "下步思路", "上年度问题整改情况", "社区党组织书记培训覆盖面不足",
                 "党群服务中心使用率不高", "2025 年度", "整改时限：2026-06-30", "确认签字", "导入 Word",
                 "data-missing-count>2<", 'data-testid="report-form"'):
        assert text in page, text
    assert "党建经费使用不规范" not in page  # closed last year
    assert "网格党支部作用发挥不明显" not in page  # another unit's
    assert "section-unclassified" not in page  # shown only when not empty
    # Other reporters cannot open it, and the west reporter's "mine" is their own.
    assert client_for(users.other_reporter).get(f"/reports/{report.pk}/").status_code == 404


def test_autosave_answers_json_and_a_stale_save_answers_409_with_the_current_text(users, client_for, report, prior):
    rep = client_for(users.reporter)
    url = f"/reports/{report.pk}/save/"
    r = rep.post(url, {"revision": "0", "section_performance": "一是加强组织建设。",
                       f"answer_{prior.east1.pk}": "已完成"}, **JSON)
    assert r.status_code == 200 and r.json()["revision"] == 1 and r.json()["saved"] is True
    assert r.json()["hints"]["counts"]["performance"] == 9
    r = rep.post(url, {"revision": "0", "section_performance": "另一个窗口"}, **JSON)
    assert r.status_code == 409
    assert r.json()["sections"]["performance"] == "一是加强组织建设。" and r.json()["answers"][str(prior.east1.pk)] == "已完成"
    r = rep.post(url, {"revision": "1", "section_foo": "x", f"answer_{prior.west.pk}": "x"}, **JSON)
    assert r.status_code == 422 and "不在本报告的整改事项中" in r.json()["errors"][0]
    # The plain 保存草稿 button (no script): redirect with a message.
    r = rep.post(url, {"revision": "1", "section_plans": "下一步"}, follow=True)
    assert "草稿已保存" in content(r) and Report.objects.get(pk=report.pk).sections["plans"] == "下一步"
    r = rep.post(url, {"revision": "1", "section_plans": "旧的"}, follow=True)
    assert "报告已在其他窗口或由他人修改" in content(r)


def test_sign_and_submit_messages(users, client_for, report, fill, campaign):
    rep = client_for(users.reporter)
    base = f"/reports/{report.pk}"
    fill(report, answer=False)
    page = content(rep.post(f"{base}/submit/", follow=True))
    assert "还有 2 项上年度问题未填写整改情况" in page and "报告尚未经书记确认签字" in page
    page = content(rep.post(f"{base}/sign/", {"name": "钱东明"}, follow=True))
    assert "书记已确认签字" in page and 'data-testid="signed-by">钱东明<' in page
    fill(report)  # answers: clears the signature
    page = content(rep.get(f"{base}/"))
    assert 'data-signed hidden' in page
    rep.post(f"{base}/sign/", {"name": "钱东明"})
    campaign.report_deadline = timezone.localdate() - datetime.timedelta(days=2)
    campaign.save()
    page = content(rep.post(f"{base}/submit/", follow=True))
    assert "述职报告已提交" in page and 'data-testid="late"' in page
    assert 'data-testid="report-form"' not in page  # read-only now
    assert TEXT["performance"] in page


def test_the_organiser_reviews_from_the_progress_table_and_the_reporter_sees_the_comment(
        users, client_for, campaign, report, fill):
    fill(report)
    actions.sign(users.reporter, report, "钱东明")
    actions.submit(users.reporter, report)
    org = client_for(users.organiser)
    page = content(org.get(f"/reports/campaign/{campaign.pk}/"))
    assert 'data-testid="count-submitted"><b>1</b>' in page and 'data-testid="count-missing"><b>2</b>' in page
    assert f'data-testid="open-{report.participant_id}"' in page and "审核" in page
    page = content(org.get(f"/reports/{report.pk}/"))
    assert 'data-testid="review"' in page and "退回修改" in page and 'data-testid="report-form"' not in page
    assert "写作提示" in page
    page = content(org.post(f"/reports/{report.pk}/return/", {"comment": " "}, follow=True))
    assert "退回修改须填写意见" in page
    org.post(f"/reports/{report.pk}/return/", {"comment": "请补充党建引领基层治理的具体事例"})
    page = content(client_for(users.reporter).get(f"/reports/{report.pk}/"))
    assert "请补充党建引领基层治理的具体事例" in page and 'data-testid="report-form"' in page
    # The observer reads but gets no review forms.
    page = content(client_for(users.observer).get(f"/reports/{report.pk}/"))
    assert 'data-testid="review"' not in page and "请补充党建引领基层治理的具体事例" in page


def test_reminders_from_the_progress_page(users, client_for, campaign, district):
    org = client_for(users.organiser)
    west = campaign.participants.get(unit=district.west)
    page = content(org.post(f"/reports/campaign/{campaign.pk}/remind/", {"participant": [str(west.pk)],
                                                                        "comment": "请本周内提交"}, follow=True))
    assert "已向 1 个单位发出催报提醒" in page
    assert AuditEvent.objects.filter(action="report.remind").count() == 1
    report = Report.objects.get(participant=west)
    page = content(client_for(users.other_reporter).get(f"/reports/{report.pk}/"))
    assert "催报" in page and "请本周内提交" in page
    # Readers see the table without the remind form.
    page = content(client_for(users.chair).get(f"/reports/campaign/{campaign.pk}/"))
    assert 'data-testid="remind"' not in page and "西城街道党工委" in page


def test_overdue_in_the_progress_table(users, client_for, campaign):
    campaign.report_deadline = timezone.localdate() - datetime.timedelta(days=1)
    campaign.save()
    page = content(client_for(users.organiser).get(f"/reports/campaign/{campaign.pk}/"))
    assert 'data-testid="count-overdue"><b>3</b>' in page


def test_versions_list_view_and_restore(users, client_for, report, fill):
    fill(report)
    actions.sign(users.reporter, report, "钱东明")
    report.refresh_from_db()
    actions.save_draft(users.reporter, report, revision=report.revision, sections={"plans": "改过的思路"})
    rep = client_for(users.reporter)
    page = content(rep.get(f"/reports/{report.pk}/versions/"))
    assert "第 1 版" in page and 'data-testid="restore-1"' in page
    page = content(rep.get(f"/reports/{report.pk}/versions/1/"))
    assert TEXT["plans"] in page
    assert rep.get(f"/reports/{report.pk}/versions/9/").status_code == 404
    page = content(rep.post(f"/reports/{report.pk}/versions/1/restore/", follow=True))
    assert "已将第 1 版恢复到草稿" in page
    assert Report.objects.get(pk=report.pk).sections["plans"] == TEXT["plans"]
    # Readers see the history without the restore buttons.
    page = content(client_for(users.observer).get(f"/reports/{report.pk}/versions/"))
    assert "第 1 版" in page and "restore-1" not in page


def test_word_import_from_the_page(users, client_for, report):
    rep = client_for(users.reporter)
    data = docx_samples.build(docx_samples.standard())
    page = content(rep.post(f"/reports/{report.pk}/import/", {"file": SimpleUploadedFile("述职报告.docx", data)},
                            follow=True))
    assert "已导入“述职报告.docx”" in page and 'data-testid="section-unclassified"' in page
    assert docx_samples.PERFORMANCE in page
    page = content(rep.post(f"/reports/{report.pk}/import/", {"file": SimpleUploadedFile("x.docx", b"hello")},
                            follow=True))
    assert "x.docx" in page and 'class="msg-error"' in page
    assert AuditEvent.objects.filter(action="report.import").count() == 1
    page = content(rep.post(f"/reports/{report.pk}/import/", {}, follow=True))
    assert "请选择要导入的 Word 文件" in page


@pytest.mark.parametrize("who", ["organiser", "observer", "chair", "reporter"])
def test_nav_and_tab(users, client_for, campaign, who):
    page = content(client_for(getattr(users, who)).get("/reports/"))
    assert 'href="/reports/"' in page
    if who != "reporter":
        assert 'data-testid="tab-reports"' in content(client_for(getattr(users, who)).get(
            f"/reports/campaign/{campaign.pk}/"))
