"""Problem categories (domain.md "Problem categories"): codes, labels and the words that signal them.

Pure: used by the ledger, the chair's commentary pad and the speech reader.
"""

from __future__ import annotations

CATEGORIES: list[tuple[str, str]] = [
    ("political", "政治建设与理论武装"),
    ("responsibility", "第一责任人责任落实"),
    ("organisation", "组织体系与软弱涣散整顿"),
    ("workforce", "党务队伍建设"),
    ("members", "党员教育管理"),
    ("governance", "党建引领基层治理"),
    ("style", "作风建设"),
    ("resources", "阵地与经费保障"),
    ("integration", "党建与业务融合"),
    ("integrity", "党风廉政建设"),
]
LABELS = dict(CATEGORIES)
