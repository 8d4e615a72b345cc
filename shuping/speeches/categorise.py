"""Problem categories by keyword tables (domain.md "Problem categories"): `categorise(text) -> code | None`.

Pure. Each category has weighted keywords; the text's score for a category is the sum of the weights of its
keywords found in it (a keyword inside a longer keyword of the same text counts once, through the longest match).
The best category wins when it is clearly ahead; a tie or no keyword at all gives None ("unsure"), so the reviewer
picks by hand rather than trusting a guess.
"""

from __future__ import annotations

import re

from shuping.rectification.categories import LABELS

# Weight 3: the category's own words; 2: strong signals; 1: hints that other categories share.
KEYWORDS: dict[str, dict[str, int]] = {
    "political": {
        "政治建设": 3, "理论武装": 3, "理论学习": 3, "政治站位": 3, "两个维护": 3, "两个确立": 3, "四个意识": 3,
        "四个自信": 3, "意识形态": 3, "政治意识": 2, "政治能力": 2, "政治判断力": 2, "政治领悟力": 2,
        "政治执行力": 2, "第一议题": 3, "创新理论": 2, "学习贯彻": 1, "学习教育": 1, "学用脱节": 2,
        "政治生活": 2, "政治觉悟": 2, "理想信念": 2, "政治理论": 3, "学用结合": 2,
    },
    "responsibility": {
        "第一责任人": 3, "主体责任": 3, "责任制": 3, "责任落实": 2, "压力传导": 3, "政绩意识": 3,
        "抓党建意识": 3, "书记抓": 2, "管党治党责任": 3, "党建责任": 3, "责任闭环": 2, "层层抓落实": 2,
        "层层递减": 2, "履职尽责": 2, "述职评议": 1, "重业务轻党建": 3, "重业务、轻党建": 3, "亲自抓": 2,
        "担当意识": 1, "责任意识": 2, "以上率下": 1,
        "做起来次要": 3, "忙起来不要": 3, "挂帅": 2,
    },
    "organisation": {
        "软弱涣散": 3, "组织体系": 3, "组织设置": 3, "组织生活": 3, "三会一课": 3, "主题党日": 2,
        "组织生活会": 3, "支部建设": 3, "标准化规范化": 3, "换届": 2, "基层组织": 1, "组织力": 2,
        "战斗堡垒": 1, "后进支部": 3, "民主评议党员": 2,
    },
    "workforce": {
        "党务工作者": 3, "党务干部": 3, "党务队伍": 3, "专职党务": 3, "书记队伍": 3, "带头人": 2,
        "后备力量": 3, "后备干部": 2, "兼职": 1, "队伍专业性": 3, "业务培训": 2, "党务工作力量": 3,
        "配备": 1, "能力不足": 1, "本领恐慌": 2,
        "支部书记": 1, "兼任": 1,
    },
    "members": {
        "党员教育": 3, "党员管理": 3, "发展党员": 3, "党员发展": 3, "流动党员": 3, "党员分类管理": 3,
        "先锋模范": 2, "党员队伍": 2, "党费": 3, "党员积分": 3, "在职党员": 2, "双报到": 2, "党员作用": 2,
        "老党员": 2, "年轻党员": 2, "党员意识": 2, "身份意识": 2, "党员": 1,
    },
    "governance": {
        "网格化": 3, "网格": 2, "两个覆盖": 3, "城市基层党建": 3, "基层治理": 3, "社会治理": 3, "社区治理": 3,
        "物业": 2, "区域化党建": 3, "共驻共建": 3, "接诉即办": 3, "两新组织": 2, "非公企业": 2, "社会组织": 2,
        "服务群众": 1, "群众诉求": 2, "小区": 1,
        "新兴领域": 3, "有效覆盖": 3, "有形覆盖": 2, "两新": 2,
    },
    "style": {
        "四风": 3, "四气": 3, "形式主义": 3, "官僚主义": 3, "作风": 2, "文山会海": 3, "痕迹主义": 3, "留痕": 2,
        "走过场": 2, "精神懈怠": 2, "不作为": 2, "慢作为": 2, "乱作为": 2, "懒政": 3, "调查研究": 1,
        "深入基层": 1, "担当不够": 1,
    },
    "resources": {
        "党群服务中心": 3, "阵地": 3, "经费": 3, "活动场所": 3, "活动室": 2, "保障": 1, "服务保障": 2,
        "待遇": 2, "报酬": 2, "场地": 2,
    },
    "integration": {
        "两张皮": 3, "党建与业务": 3, "党建和业务": 3, "业务融合": 3, "融合不够": 3, "深度融合": 2,
        "中心工作": 2, "围绕中心": 2, "互融互促": 3, "党建品牌": 2, "同谋划": 2,
    },
    "integrity": {
        "廉政": 3, "廉洁": 3, "腐败": 3, "违纪": 3, "八项规定": 3, "一岗双责": 3, "警示教育": 3,
        "风险防控": 2, "正风肃纪": 3, "反腐": 3, "纪律": 2, "监督": 2, "微腐败": 3, "以案促改": 3,
        "清风": 2, "廉": 1,
    },
}

assert set(KEYWORDS) == set(LABELS)  # every category has a table, and only those


_WORDS = {w: (c, k) for c, table in KEYWORDS.items() for w, k in table.items()}
# Longest keywords first: at each place the longest keyword wins, so "党员" does not count again inside
# "党员分类管理"; finditer never overlaps matches, so the text is read once.
_PATTERN = re.compile("|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)))


def scores(text: str) -> dict[str, int]:
    """Each category's keyword score for `text` (each keyword counted once; categories scoring 0 left out)."""
    found: dict[str, int] = {}
    for word in {m.group() for m in _PATTERN.finditer(text)}:
        code, weight = _WORDS[word]
        found[code] = found.get(code, 0) + weight
    return found


def categorise(text: str, lead: str = "") -> str | None:
    """The category code the text most clearly belongs to, or None when no keyword or a tie."""
    return explain(text, lead)[0]


def explain(text: str, lead: str = "") -> tuple[str | None, str]:
    """(category code or None, why): the keywords that decided, or why none was chosen (no keyword, a tie, only a
    weak hint). Keywords in `lead` (the words that name the problem, e.g. an item's first clause) count twice:
    the rest of an item explains it and may touch other categories."""
    words: dict[str, list[str]] = {}
    for word in sorted({m.group() for m in _PATTERN.finditer(text)}, key=text.index):
        words.setdefault(_WORDS[word][0], []).append(word)
    in_lead = {m.group() for m in _PATTERN.finditer(lead)}
    found = {c: sum(KEYWORDS[c][w] * (2 if w in in_lead else 1) for w in ws) for c, ws in words.items()}
    if not found:
        return None, "没有类别关键词"
    ranked = sorted(found.items(), key=lambda kv: -kv[1])
    code, score = ranked[0]
    quoted = "、".join(f"“{w}”" for w in words[code])
    if len(ranked) > 1 and ranked[1][1] == score:
        return None, f"{LABELS[code]}与{LABELS[ranked[1][0]]}同为 {score} 分（{quoted}等），请选择"
    if score < 2:  # a single weak hint is not enough
        return None, f"只有弱提示{quoted}（{LABELS[code]} {score} 分），不足以归类"
    runner = f"，次高 {ranked[1][1]} 分" if len(ranked) > 1 else ""
    return code, f"关键词{quoted}（{score} 分{runner}）"
