"""The phrase library (措辞库) the drafts are assembled from: Shuping's default wording as data, loading it, and
the organiser's edits (add, change, enable/disable — every change audited).

The defaults are written for Shuping in the genre of 点评 and 总结讲话; they are not taken from any speech.
Placeholders a phrase may hold (filled by shuping.speeches.drafting.fill; others stay as written):
{fact} a fact quoted from the reporter's material · {unit} unit · {name} secretary · {count} number of reporters
· {year} campaign year.

`load_default_phrases(model)` adds every default phrase not yet present (same slot, category and text) and
never touches phrases the organiser added or changed; the data migration 0002 calls it so every install has
them, and tests call it after a flush.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shuping.accounts.access import PHRASE_EDITORS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.rectification.categories import LABELS
from shuping.speeches.models import Phrase, PhraseSlot

MAX_TEXT = 500

# (slot, category, text). Categories only on 问题 and 建议/要求 phrases.
DEFAULT_PHRASES: list[tuple[str, str, str]] = [
    # 开头 (closing speech)
    ("opening", "", "刚才，{count}位书记逐一作了述职，大家讲成绩用事实说话、谈问题直面短板、提思路务实具体，"
                    "会议开得紧凑务实，达到了预期目的。"),
    ("opening", "", "这次述职评议会，是对{year}年度基层党建工作的一次集中检阅，也是相互学习、相互促进的"
                    "一次好机会。"),
    ("opening", "", "通过听述职、作点评、搞测评，我们对各单位抓党建的情况有了更全面、更直观的了解。"),
    ("opening", "", "总的看，各位书记对这次述职准备是认真的，材料有数据、有案例，体现了抓党建的责任和担当。"),
    ("opening", "", "借这个机会，我就做好下一步基层党建工作讲几点意见，供大家参考。"),
    # 成绩（引入语）
    ("achievements", "", "过去一年，各级党组织书记把抓基层党建作为分内之事、履职之要，工作有了新进展、新成效。"),
    ("achievements", "", "从述职情况看，基层党建工作总体呈现稳中有进、进中有新的良好态势。"),
    ("achievements", "", "一年来，大家围绕中心、服务大局，在抓基层、打基础上下了真功夫，主要体现在以下几个方面。"),
    ("achievements", "", "这些成绩来之不易，凝聚着各级党组织和广大党员干部的心血和汗水。"),
    ("achievements", "", "各单位结合自身实际探索了不少管用的办法，有的已经形成了叫得响的品牌。"),
    # 亮点 (per reporter; {fact} is quoted from the report)
    ("highlight", "", "述职中谈到“{fact}”，这项工作思路清楚、抓手具体，值得肯定。"),
    ("highlight", "", "报告提到“{fact}”，做法接地气、见实效，可以进一步总结提炼。"),
    ("highlight", "", "“{fact}”，体现了书记抓党建的主动性，要坚持下去。"),
    ("highlight", "", "从报告看，“{fact}”，这方面基础打得比较牢。"),
    ("highlight", "", "“{fact}”，这是本单位的一个特色，可以在更大范围交流。"),
    # 问题（引入语）
    ("problems", "", "成绩值得肯定，短板也不容回避。"),
    ("problems", "", "对照年度目标和群众期盼，还有一些问题需要正视。"),
    ("problems", "", "肯定成绩的同时，也要清醒看到工作中的不足。"),
    ("problems", "", "从述职和平时掌握的情况看，有几个方面还需要改进。"),
    ("problems", "", "实事求是地讲，工作中还存在一些薄弱环节。"),
    # 问题 (one per category, and a general one)
    ("problem", "political", "理论学习还停留在读文件、记笔记的层面，学用结合不够紧密，用党的创新理论指导实践的"
                             "本领有待提升。"),
    ("problem", "responsibility", "抓党建的主责主业意识还不够强，重业务、轻党建的倾向仍然存在，压力没有逐级"
                                  "传导到底。"),
    ("problem", "organisation", "有的基层党组织设置不够规范，后进党组织整顿转化不够彻底，组织生活质量不高。"),
    ("problem", "workforce", "党务干部配备不足、兼职多专职少，业务能力参差不齐，队伍稳定性有待加强。"),
    ("problem", "members", "党员教育管理针对性不强，流动党员、年轻党员管理还有薄弱环节，发展党员把关不够严。"),
    ("problem", "governance", "党建引领基层治理的办法不多，网格管理还比较粗放，新业态新就业群体覆盖存在空白。"),
    ("problem", "style", "有的工作满足于开会发文、留痕迹，形式主义、官僚主义时有反弹，深入基层解决实际问题"
                         "不够。"),
    ("problem", "resources", "党群服务中心功能发挥不充分，有的阵地建而不用，党建经费保障和使用管理还不够规范。"),
    ("problem", "integration", "党建和业务结合不够紧密，“两张皮”现象还没有根本解决，党建促进中心工作的成效"
                               "不够明显。"),
    ("problem", "integrity", "管党治党宽松软的问题还没有彻底解决，对重点岗位、关键环节的日常监督还有盲区。"),
    ("problem", "", "工作推进还不够平衡，有的任务落实不到位、成效不够明显。"),
    # 建议/要求 (one per category, and general ones)
    ("suggestion", "political", "要把政治建设摆在首位，健全理论学习常态化机制，推动学习成果转化为推动工作的实际"
                                "成效。"),
    ("suggestion", "responsibility", "要压紧压实书记第一责任人责任，定期专题研究党建工作，做到党建和中心工作"
                                     "一起谋划、一起部署、一起考核。"),
    ("suggestion", "organisation", "要持续整顿后进基层党组织，规范组织设置和按期换届，严格落实“三会一课”等"
                                   "组织生活制度。"),
    ("suggestion", "workforce", "要配齐配强党务干部，加大培训和交流力度，让党务岗位成为锻炼干部、培养干部的"
                                "平台。"),
    ("suggestion", "members", "要抓好党员分类教育管理，严把发展党员质量关，让每名党员都在组织中发挥作用。"),
    ("suggestion", "governance", "要以党建引领基层治理，把网格做细、把服务做实，扩大新兴领域党的组织和工作"
                                 "覆盖。"),
    ("suggestion", "style", "要持续纠治形式主义、官僚主义，力戒文山会海和过度留痕，把精力用在为群众办实事、"
                            "解难题上。"),
    ("suggestion", "resources", "要用好党群服务中心等阵地，保障党建经费足额到位、规范使用，让阵地真正活起来、"
                                "用起来。"),
    ("suggestion", "integration", "要找准党建与业务的结合点，把党建工作融入中心任务，用发展成效检验党建成效。"),
    ("suggestion", "integrity", "要把纪律挺在前面，盯住关键岗位、重要环节加强日常监督，抓早抓小、防微杜渐。"),
    ("suggestion", "", "要坚持问题导向，对点评指出的问题逐条建立台账，明确责任人和时限，按期整改销号。"),
    ("suggestion", "", "要对标先进找差距，把行之有效的做法固化为制度，形成长效机制。"),
    ("suggestion", "", "要把述职评议结果用起来，与干部考核、评先评优挂钩，传导压力、激发动力。"),
    # 结尾
    ("closing", "", "同志们，抓好基层党建是我们的职责所在，希望大家以这次述职评议为新起点，把各项任务落到实处。"
                    "我就讲这些。"),
    ("closing", "", "会后，各单位要对照点评意见逐条抓好整改，明年述职时我们再来看成效。就讲这些，谢谢大家。"),
    ("closing", "", "让我们以更加务实的作风、更加有力的举措，推动基层党建工作再上新台阶。"),
    ("closing", "", "希望各位书记把今天的压力转化为动力，把问题清单变成成效清单。"),
    ("closing", "", "基层党建没有休止符，每一次述职都是新的起点。我就讲这些，谢谢大家。"),
]


def load_default_phrases(phrase_model: Any) -> int:
    """Add the default phrases missing from the table (`phrase_model` is the Phrase model, or the historical
    one inside a migration). Returns how many were added."""
    have = set(phrase_model.objects.values_list("slot", "category", "text"))
    order: dict[tuple[str, str], int] = {}
    new = []
    for slot, category, text in DEFAULT_PHRASES:
        n = order[(slot, category)] = order.get((slot, category), 0) + 1
        if (slot, category, text) not in have:
            new.append(phrase_model(slot=slot, category=category, text=text, sort_order=n * 10))
    phrase_model.objects.bulk_create(new)
    return len(new)


# --- the organiser's edits ---------------------------------------------------------------------------

def _clean(slot: str, category: str, text: str) -> tuple[str, str, str]:
    if slot not in PhraseSlot.values:
        raise ValidationError("请选择措辞的用途")
    category = (category or "").strip()
    if category and category not in LABELS:
        raise ValidationError("问题类别无效")
    if category and slot not in ("problem", "suggestion"):
        raise ValidationError("只有“问题”和“建议/要求”的措辞可以指定问题类别")
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写措辞")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"措辞不能超过 {MAX_TEXT} 字")
    return slot, category, text


@transaction.atomic
def create_phrase(actor: User, slot: str, category: str, text: str, sort_order: int = 0) -> Phrase:
    check_roles(actor, *PHRASE_EDITORS)
    slot, category, text = _clean(slot, category, text)
    p = Phrase.objects.create(slot=slot, category=category, text=text, sort_order=max(0, sort_order))
    record(actor, "speeches.phrase_create", p, f"新增措辞（{p.get_slot_display()}）：{text[:40]}",
           {"slot": slot, "category": category, "text": text})
    return p


@transaction.atomic
def update_phrase(actor: User, phrase_id: int, slot: str, category: str, text: str, sort_order: int) -> Phrase:
    check_roles(actor, *PHRASE_EDITORS)
    p = Phrase.objects.select_for_update().filter(pk=phrase_id).first()
    if p is None:
        raise ValidationError("措辞不存在")
    slot, category, text = _clean(slot, category, text)
    before = {"slot": p.slot, "category": p.category, "text": p.text, "sort_order": p.sort_order}
    p.slot, p.category, p.text, p.sort_order = slot, category, text, max(0, sort_order)
    p.save()
    record(actor, "speeches.phrase_update", p, f"修改措辞（{p.get_slot_display()}）：{text[:40]}",
           {"before": before, "after": {"slot": slot, "category": category, "text": text,
                                        "sort_order": p.sort_order}})
    return p


@transaction.atomic
def set_phrase_active(actor: User, phrase_id: int, active: bool) -> Phrase:
    check_roles(actor, *PHRASE_EDITORS)
    p = Phrase.objects.select_for_update().filter(pk=phrase_id).first()
    if p is None:
        raise ValidationError("措辞不存在")
    if p.active != active:
        p.active = active
        p.save(update_fields=["active", "updated_at"])
        record(actor, "speeches.phrase_enable" if active else "speeches.phrase_disable", p,
               f"{'启用' if active else '停用'}措辞：{p.text[:40]}", {"active": active})
    return p
