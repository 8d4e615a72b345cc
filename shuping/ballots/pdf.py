"""Printable PDFs for 民主测评: ballot sheets (one per token) and QR slips for phone-only meetings.

Drawn directly on a reportlab canvas (no platypus): 500 sheets take a few seconds. The QR code is drawn
as vector rectangles from segno's matrix and encodes the absolute URL of the voter page /v/<secret>
(base URL: settings.SHUPING_PUBLIC_URL); the short code is printed as XXXX-XXXX for typing.

Chinese needs a CJK TrueType font: WenQuanYi Micro Hei (bin/setup installs fonts-wqy-microhei).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from shuping.ballots import codes
from shuping.ballots.models import BallotBox, BallotLine, BallotToken

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WQYMicroHei"
PAGE_W, PAGE_H = A4
MARGIN = 36.0
GREY = Color(0.45, 0.45, 0.45)
LIGHT = Color(0.93, 0.93, 0.93)
INSTRUCTION = "在相应栏内划‘√’，每人只能选一项；不填视为弃权。"
GRADE_HEADS = ("好", "较好", "一般", "差", "弃权")
ITEM_HEADS = ("好", "较好", "一般", "差")


class FontMissing(ValidationError):
    pass


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        if not FONT_PATH.exists():
            raise FontMissing(f"缺少中文字体文件 {FONT_PATH}，无法生成 PDF。请安装文泉驿微米黑字体"
                              "（Debian/Ubuntu：apt-get install fonts-wqy-microhei）后重试。")
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))
    return FONT


def vote_url(token: BallotToken) -> str:
    return settings.SHUPING_PUBLIC_URL + reverse("vote:ballot", args=[token.secret])


def enter_url() -> str:
    return settings.SHUPING_PUBLIC_URL + reverse("vote:enter")


def _width(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, FONT, size))


def _fit(text: str, width: float, size: float, smallest: float = 6.5) -> tuple[str, float]:
    """Shrink the font until `text` fits `width`; below `smallest`, cut it with an ellipsis."""
    while size > smallest and _width(text, size) > width:
        size -= 0.5
    if _width(text, size) <= width:
        return text, size
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text + "…", size


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break Chinese text into lines of at most `width` (character by character)."""
    lines, cur = [], ""
    for ch in text:
        if _width(cur + ch, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _text(c: Canvas, x: float, y: float, text: str, size: float, width: float | None = None,
          align: str = "left") -> None:
    if width is not None:
        text, size = _fit(text, width, size)
    c.setFont(FONT, size)
    if align == "center":
        c.drawCentredString(x, y, text)
    elif align == "right":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def _qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of `url` with its lower left corner at (x, y), `size` wide including the quiet zone."""
    # A fixed mask: segno's search for the best of 8 masks costs ~12 ms per code (minutes for a big
    # meeting); any mask gives a valid code that phones read.
    qr = segno.make(url, error="m", micro=False, mask=2)
    matrix = qr.matrix
    n = len(matrix)
    border = 2  # a narrower quiet zone than the standard 4 modules: the paper around it is blank anyway
    module = size / (n + 2 * border)
    x0, y0 = x + border * module, y + border * module
    path = c.beginPath()
    for r, row in enumerate(matrix):
        ry = y0 + (n - 1 - r) * module
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(x0 + start * module, ry, (col - start) * module, module)
            else:
                col += 1
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)


@dataclass(frozen=True)
class _Line:
    number: int
    unit: str
    name: str
    mode: str


def _lines(box: BallotBox) -> list[_Line]:
    rows = BallotLine.objects.filter(box=box).select_related("participant__unit", "participant__secretary")
    return [_Line(ln.position + 1, ln.participant.unit.name, ln.participant.secretary.name,
                  str(ln.participant.get_mode_display())) for ln in rows.order_by("position")]


def _group_name(box: BallotBox, group: int) -> str:
    groups = box.campaign.scheme.get("voter_groups", [])
    return str(groups[group]["name"]) if 0 <= group < len(groups) else f"第{group + 1}类"


# ---------------------------------------------------------------- ballot sheets

ROW_H = 23.0
HEAD_H = 22.0
MAIN_COLS = (30.0, 0.0, 66.0, 58.0) + (37.0,) * 5  # 单位 takes the rest
ITEMS_PER_BLOCK = 4
COMMENT_H = 96.0
FIRST_HEADER_H = 150.0
NEXT_HEADER_H = 46.0
FOOTER_Y = 20.0
BOTTOM = 40.0
QR_SIZE = 104.0
NEXT_RIGHT_W = 230.0  # room for "票号 000123    测评码 XXXX-XXXX" on continuation pages
GROUP_LABEL = "测评人员类别："
SERIAL_LABEL = "票号："


def _cols(widths: Sequence[float], x: float) -> list[float]:
    flex = PAGE_W - 2 * MARGIN - sum(widths)
    xs, pos = [x], x
    for w in widths:
        pos += w or flex
        xs.append(pos)
    return xs


class _Layout:
    """The parts of a box's sheet that are the same for every token, drawn once per page as a PDF form
    (XObject) that each token's pages reuse: 500 sheets cost little more than one. With no canvas it only
    counts the pages."""

    def __init__(self, c: Canvas | None, box: BallotBox, lines: list[_Line], title: str) -> None:
        self.c, self.box, self.lines, self.title = c, box, lines, title
        self.page = 0
        self.y = 0.0

    def form_name(self, page: int) -> str:
        return f"sheet-{self.box.pk}-p{page}"

    # -- page furniture

    def new_page(self) -> None:
        c = self.c
        if c is not None and self.page:
            c.endForm()
        self.page += 1
        self.y = PAGE_H - MARGIN
        if c is not None:
            c.beginForm(self.form_name(self.page))
            if self.page == 1:
                self.first_header()
            else:
                self.next_header()
        self.y -= FIRST_HEADER_H if self.page == 1 else NEXT_HEADER_H

    def first_header(self) -> None:
        c = self.c
        assert c is not None
        top = PAGE_H - MARGIN
        qx = PAGE_W - MARGIN - QR_SIZE
        _text(c, qx + QR_SIZE / 2, top - QR_SIZE - 30, "手机扫码投票或输入测评码", 7, align="center")
        left_w = qx - MARGIN - 12
        c.setFillColor(black)
        y = top - 20
        for part in _wrap(self.title, left_w, 18)[:2]:
            _text(c, MARGIN, y, part, 18)
            y -= 24
        y -= 4
        _text(c, MARGIN, y, GROUP_LABEL, 12)
        y -= 20
        _text(c, MARGIN, y, SERIAL_LABEL, 12)
        y -= 22
        c.setFillColor(GREY)
        for part in _wrap("填写说明：" + INSTRUCTION + "手机投票与纸质票只计一次，请选择一种方式。", left_w, 9):
            _text(c, MARGIN, y, part, 9)
            y -= 13
        c.setFillColor(black)

    def next_header(self) -> None:
        c = self.c
        assert c is not None
        top = PAGE_H - MARGIN
        _text(c, MARGIN, top - 16, self.title + "（续页）", 12, width=PAGE_W - 2 * MARGIN - NEXT_RIGHT_W - 16)
        c.setStrokeColor(GREY)
        c.line(MARGIN, top - 26, PAGE_W - MARGIN, top - 26)

    def room(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    # -- blocks

    def cell_box(self, x0: float, x1: float, y: float) -> None:
        """A small square in the middle of a cell, where the voter ticks."""
        c = self.c
        assert c is not None
        s = 9.0
        c.setStrokeColor(GREY)
        c.rect((x0 + x1 - s) / 2, y + (ROW_H - s) / 2, s, s, stroke=1, fill=0)

    def main_header(self, xs: list[float]) -> None:
        c = self.c
        if c is None:
            return
        y = self.y - HEAD_H
        c.setFillColor(LIGHT)
        c.rect(xs[0], y, xs[-1] - xs[0], HEAD_H, stroke=0, fill=1)
        c.setFillColor(black)
        for i, head in enumerate(("序号", "单位", "姓名", "述职方式", *GRADE_HEADS)):
            _text(c, (xs[i] + xs[i + 1]) / 2, y + 7, head, 10, align="center")
        self.grid_lines(xs, y, HEAD_H)

    def grid_lines(self, xs: list[float], y: float, h: float) -> None:
        c = self.c
        assert c is not None
        c.setStrokeColor(black)
        c.setLineWidth(0.6)
        c.rect(xs[0], y, xs[-1] - xs[0], h, stroke=1, fill=0)
        for x in xs[1:-1]:
            c.line(x, y, x, y + h)

    def main_table(self) -> None:
        xs = _cols(MAIN_COLS, MARGIN)
        self.room(HEAD_H + ROW_H)
        self.main_header(xs)
        self.y -= HEAD_H
        for ln in self.lines:
            if self.y - ROW_H < BOTTOM:
                self.new_page()
                self.main_header(xs)
                self.y -= HEAD_H
            c = self.c
            if c is not None:
                y = self.y - ROW_H
                _text(c, (xs[0] + xs[1]) / 2, y + 7.5, str(ln.number), 10, align="center")
                _text(c, xs[1] + 4, y + 7.5, ln.unit, 10, width=xs[2] - xs[1] - 8)
                _text(c, xs[2] + 4, y + 7.5, ln.name, 10, width=xs[3] - xs[2] - 8)
                _text(c, (xs[3] + xs[4]) / 2, y + 7.5, ln.mode, 9, align="center")
                for k in range(4, 9):
                    self.cell_box(xs[k], xs[k + 1], y)
                self.grid_lines(xs, y, ROW_H)
            self.y -= ROW_H

    def items_header(self, xs: list[float], names: Sequence[str]) -> None:
        c = self.c
        if c is None:
            return
        y = self.y - 2 * HEAD_H
        c.setFillColor(LIGHT)
        c.rect(xs[0], y, xs[-1] - xs[0], 2 * HEAD_H, stroke=0, fill=1)
        c.setFillColor(black)
        _text(c, (xs[0] + xs[1]) / 2, y + HEAD_H - 4, "序号", 10, align="center")
        _text(c, (xs[1] + xs[2]) / 2, y + HEAD_H - 4, "单位 / 姓名", 10, align="center")
        for j, name in enumerate(names):
            a, b = xs[2 + 4 * j], xs[6 + 4 * j]
            _text(c, (a + b) / 2, y + HEAD_H + 7, name, 10, width=b - a - 6, align="center")
            c.line(a, y + HEAD_H, b, y + HEAD_H)
            for k, head in enumerate(ITEM_HEADS):
                _text(c, (xs[2 + 4 * j + k] + xs[3 + 4 * j + k]) / 2, y + 7, head, 8, align="center")
        c.setLineWidth(0.6)
        c.rect(xs[0], y, xs[-1] - xs[0], 2 * HEAD_H, stroke=1, fill=0)
        c.line(xs[1], y, xs[1], y + 2 * HEAD_H)
        for j in range(len(names)):
            c.line(xs[2 + 4 * j], y, xs[2 + 4 * j], y + 2 * HEAD_H)
            for k in range(1, 4):
                c.line(xs[2 + 4 * j + k], y, xs[2 + 4 * j + k], y + HEAD_H)

    def items_tables(self) -> None:
        items = list(self.box.items)
        blocks = -(-len(items) // ITEMS_PER_BLOCK)
        per_block = -(-len(items) // blocks) if blocks else 1  # 5 items → 3 + 2, not 4 + 1
        for start in range(0, len(items), per_block):
            names = items[start:start + per_block]
            sub = (PAGE_W - 2 * MARGIN - 30 - 150) / (4 * len(names))
            xs = _cols((30.0, 150.0, *([sub] * 4 * len(names))), MARGIN)
            self.room(24 + 2 * HEAD_H + ROW_H)
            if self.c is not None:
                _text(self.c, MARGIN, self.y - 16, "分项评价（每个分项选一格，不填视为弃权）", 11)
            self.y -= 24
            self.items_header(xs, names)
            self.y -= 2 * HEAD_H
            for ln in self.lines:
                if self.y - ROW_H < BOTTOM:
                    self.new_page()
                    self.items_header(xs, names)
                    self.y -= 2 * HEAD_H
                c = self.c
                if c is not None:
                    y = self.y - ROW_H
                    _text(c, (xs[0] + xs[1]) / 2, y + 7.5, str(ln.number), 10, align="center")
                    _text(c, xs[1] + 4, y + 7.5, f"{ln.unit} {ln.name}", 9, width=xs[2] - xs[1] - 8)
                    for k in range(2, len(xs) - 1):
                        self.cell_box(xs[k], xs[k + 1], y)
                    self.grid_lines(xs, y, ROW_H)
                self.y -= ROW_H

    def comment_box(self) -> None:
        if not self.box.comments_enabled:
            return
        self.room(COMMENT_H + 26)
        c = self.c
        if c is not None:
            _text(c, MARGIN, self.y - 18, f"意见建议（可不填，不超过 {self.box.comment_max_chars} 字）：", 11)
            c.setStrokeColor(black)
            c.rect(MARGIN, self.y - 26 - COMMENT_H, PAGE_W - 2 * MARGIN, COMMENT_H, stroke=1, fill=0)
        self.y -= COMMENT_H + 26

    def render(self) -> int:
        self.page = 0
        self.new_page()
        self.main_table()
        self.items_tables()
        self.comment_box()
        if self.c is not None:
            self.c.endForm()
        return self.page


def _token_page(c: Canvas, box: BallotBox, token: BallotToken, page: int, pages: int) -> None:
    """What differs between tokens: QR code, short code, group, serial, and the page footer."""
    top = PAGE_H - MARGIN
    code = codes.format_code(token.code)
    if page == 1:
        qx = PAGE_W - MARGIN - QR_SIZE
        _qr(c, vote_url(token), qx, top - QR_SIZE, QR_SIZE)
        _text(c, qx + QR_SIZE / 2, top - QR_SIZE - 18, code, 17, width=QR_SIZE + 10, align="center")
        left_w = qx - MARGIN - 12
        y = top - 20 - 24 * min(2, len(_wrap(f"{box.campaign.title}民主测评票", left_w, 18))) - 4
        gx = MARGIN + _width(GROUP_LABEL, 12)
        _text(c, gx, y, _group_name(box, token.group), 12, width=left_w - (gx - MARGIN))
        _text(c, MARGIN + _width(SERIAL_LABEL, 12), y - 20, f"{token.serial:06d}", 12)
    else:
        _text(c, PAGE_W - MARGIN, top - 16, f"票号 {token.serial:06d}    测评码 {code}", 13, align="right")
    c.setFillColor(GREY)
    _text(c, PAGE_W / 2, FOOTER_Y, f"票号 {token.serial:06d} · 测评码 {code} · 第 {page}/{pages} 页", 8,
          align="center")
    c.setFillColor(black)


def _canvas(buf: io.BytesIO, title: str) -> Canvas:
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("述评 Shuping")
    c.setCreator("述评 Shuping")
    return c


def ballot_sheets_pdf(box: BallotBox, tokens: Sequence[BallotToken]) -> bytes:
    """A4 ballot sheets, one per token (a long ballot continues on further pages of the same token)."""
    _font()
    title = f"{box.campaign.title}民主测评票"
    buf = io.BytesIO()
    c = _canvas(buf, title)
    layout = _Layout(c, box, _lines(box), title)
    pages = layout.render()
    for token in tokens:
        for page in range(1, pages + 1):
            c.doForm(layout.form_name(page))
            _token_page(c, box, token, page, pages)
            c.showPage()
    if not tokens:
        _text(c, MARGIN, PAGE_H - MARGIN - 20, "没有符合条件的测评码", 14)
        c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------- QR slips

SLIP_COLS, SLIP_ROWS = 2, 5


def qr_slips_pdf(box: BallotBox, tokens: Sequence[BallotToken]) -> bytes:
    """Cut-out slips, 10 per A4 page: QR code, short code, voter group and one line of instruction."""
    _font()
    title = f"{box.campaign.title}民主测评"
    buf = io.BytesIO()
    c = _canvas(buf, title + "二维码")
    slip_w = PAGE_W / SLIP_COLS
    slip_h = PAGE_H / SLIP_ROWS
    per_page = SLIP_COLS * SLIP_ROWS
    entry = enter_url()
    for i, token in enumerate(tokens):
        k = i % per_page
        if i and k == 0:
            c.showPage()
        if k == 0:
            _cut_lines(c, slip_w, slip_h)
        x = (k % SLIP_COLS) * slip_w
        y = PAGE_H - (k // SLIP_COLS + 1) * slip_h
        qr_size = slip_h - 24
        _qr(c, vote_url(token), x + 10, y + 12, qr_size)
        tx = x + 18 + qr_size
        tw = slip_w - (tx - x) - 12
        top = y + slip_h - 22
        c.setFillColor(black)
        _text(c, tx, top, title, 9, width=tw)
        _text(c, tx, top - 20, _group_name(box, token.group), 11, width=tw)
        _text(c, tx, top - 50, codes.format_code(token.code), 19, width=tw)
        c.setFillColor(GREY)
        _text(c, tx, top - 68, f"票号 {token.serial:06d}", 8)
        _text(c, tx, top - 90, "请用手机扫码投票，每码限投一次；", 7.5, width=tw)
        _text(c, tx, top - 102, f"不能扫码时访问 {entry}", 7.5, width=tw)
        _text(c, tx, top - 114, "输入上面的测评码。", 7.5, width=tw)
        c.setFillColor(black)
    if not tokens:
        _text(c, MARGIN, PAGE_H - MARGIN - 20, "没有符合条件的测评码", 14)
    c.showPage()
    c.save()
    return buf.getvalue()


def _cut_lines(c: Canvas, slip_w: float, slip_h: float) -> None:
    c.saveState()
    c.setStrokeColor(GREY)
    c.setLineWidth(0.4)
    c.setDash(3, 3)
    for col in range(1, SLIP_COLS):
        c.line(col * slip_w, 0, col * slip_w, PAGE_H)
    for row in range(1, SLIP_ROWS):
        c.line(0, row * slip_h, PAGE_W, row * slip_h)
    c.restoreState()
