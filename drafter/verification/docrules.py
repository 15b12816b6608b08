"""Rules about a whole report document (docs/format.md N-4 … N-9, F-1 … F-3), and its tables read
back and compared with the statistics (an editor may have typed over a cell)."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from drafter import report as rp
from drafter.checking.findings import Finding, Location
from drafter.formats import Layout, Section
from drafter.read.tables import label_hits, normalise, read_printed, text_grid
from drafter.statistics.quantities import format_number
from drafter.statistics.stats import Stats
from drafter.verification.numbers import parse_chinese

# Terms of the 2019 试行 tables (docs/format.md §3.1b): a 2021 report must not print them.
TERMS_2019 = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "本年增／减",
    "第二十条第（九）项",
    "政府集中采购",
    "采购项目数量",
    "采购总金额",
)
# (an instruction in parentheses is short: without a closing parenthesis within 300
# characters, a text of many "（此处" would be scanned to its end from each of them)
TEMPLATE_TEXT = re.compile(
    r"【待补充|【请核实|待补充|编写说明|填写说明|请填写|请在此|（此处[^）]{0,300}+）|[X×]{2,}"
    r"|\{[@A-Za-z_][^{}]*\}"
)
# 自2023年1月1日起至2023年12月31日止 (spaces possessive: a long run of them is read once)
PERIOD = re.compile(
    r"自\s*+((?:19|20)\d{2})\s*+年\s*+(\d{1,2})\s*+月\s*+(\d{1,2})\s*+日\s*+(?:起)?\s*+[至到]\s*+"
    r"((?:19|20)\d{2})\s*+年\s*+(\d{1,2})\s*+月\s*+(\d{1,2})\s*+日"
)
# 本报告由总体情况、……等六个部分组成: where a statement of the parts may start, and where a
# count of parts stands (both zero-width, to find every position; see `parts_statement`)
_PARTS_START = re.compile(r"(?=(由|包括|分为))")
_PARTS_COUNT = re.compile(r"(?=((?:等)?([一二三四五六七八九十\d]{1,20}+)\s*+(?:个)?部分))")


@dataclass(frozen=True)
class PartsStatement:
    text: str  # 由总体情况、……等六个部分
    listed: str  # 总体情况、……
    count: str  # 六


def parts_statement(preamble: str) -> PartsStatement | None:
    r"""The first statement of the report's parts: what
    `(?:由|包括|分为)(.{2,300}?)(?:等)?([一二三四五六七八九十\d]+)\s*(?:个)?部分` finds first,
    found in linear time. (That search tries up to 300 lengths of what is listed after every
    由 of the text: a hostile preamble of 由 would take seconds.) Each count of parts is found
    once; the first start followed by one 2 to 300 characters later, on the same line, wins.
    A count is at most 20 numerals."""
    counts = [(m.start(), m.end(1), m.group(2)) for m in _PARTS_COUNT.finditer(preamble)]
    at = [position for position, _, _ in counts]
    line_end = -1
    for start in _PARTS_START.finditer(preamble):
        after = start.start() + len(start.group(1))
        if line_end < after:  # the end of the line, looked for once per line
            line_end = preamble.find("\n", after)
            line_end = len(preamble) if line_end < 0 else line_end
        limit = min(after + 300, line_end)
        index = bisect_left(at, after + 2)
        if index < len(at) and at[index] <= limit:
            position, end, count = counts[index]
            return PartsStatement(preamble[start.start() : end], preamble[after:position], count)
    return None


TOPICS = (
    ("主动公开", ("主动公开",)),
    ("依申请公开", ("依申请公开", "依申请")),
    ("政府信息管理", ("政府信息管理", "信息管理")),
    ("政府信息公开平台建设", ("平台建设", "平台")),
    ("监督保障", ("监督保障", "监督", "保障")),
)
GOVERNMENT_TOPICS = (
    ("工作考核", ("考核",)),
    ("社会评议", ("评议",)),
    ("责任追究", ("责任追究", "追究")),
)


def _title(heading: str) -> str:
    """一、总体情况 → 总体情况; （一）主动公开方面 → 主动公开方面."""
    return re.sub(
        r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])", "", heading
    ).strip()


def _same_title(printed: str, section: Section) -> bool:
    names = (section.title, *section.aliases)
    text = normalise(_title(printed))
    return any(normalise(n) == text for n in names)


def match_sections(report: rp.Report, layout: Layout) -> dict[str, rp.Section | None]:
    """For each section of the layout, the report's section with its heading (or None)."""
    out: dict[str, rp.Section | None] = {}
    used: set[int] = set()
    for spec in layout.sections:
        found = next(
            (s for s in report.sections if id(s) not in used and _same_title(s.heading, spec)),
            None,
        )
        if found is None:  # a heading worded a little differently
            titles = {
                id(s): normalise(_title(s.heading)) for s in report.sections if id(s) not in used
            }
            close = difflib.get_close_matches(
                normalise(spec.title), list(titles.values()), n=1, cutoff=0.6
            )
            if close:
                found = next(s for s in report.sections if titles.get(id(s)) == close[0])
        if found is not None:
            used.add(id(found))
        out[spec.id] = found
    return out


def _text_of(section: rp.Section) -> str:
    parts = [section.heading]
    for _, block in section.walk():
        if isinstance(block, rp.Paragraph):
            parts.append(block.text)
    parts += [s.heading for s in section.subsections]
    return "".join(parts)


def document_rules(
    report: rp.Report, stats: Stats, layout: Layout, file: str | None
) -> Iterator[Finding]:
    sections = match_sections(report, layout)
    preamble = "".join(p.text for p in report.preamble)
    everything = "".join(p.text for p in report.paragraphs()) + report.title

    def where(
        section: str | None = None, text: str | None = None, paragraph: int | None = None
    ) -> Location:
        return Location(section=section, paragraph=paragraph, text=text, file=file)

    # Sections the layout requires.
    for spec in layout.sections:
        if sections[spec.id] is None:
            yield Finding("E-DOC-SECTION", f"缺少“{spec.heading}”部分", where(spec.heading))

    # N-4: the parts named in the preamble.
    yield from _parts(report, layout, preamble, where(None))

    # N-5: the statistics period and the year of the title.
    period = PERIOD.search(everything)
    if period is None:
        yield Finding(
            "W-DOC-PERIOD-MISSING",
            f"没有写明统计期限（应为“自{stats.year}年1月1日起至{stats.year}年12月31日止”）",
            where(None),
        )
    else:
        expected = (str(stats.year), "1", "1", str(stats.year), "12", "31")
        got = tuple(g.lstrip("0") or "0" for g in period.groups())
        if got != expected:
            yield Finding(
                "E-DOC-PERIOD",
                f"统计期限“{period.group(0)}”与统计年度 {stats.year} 不符（应为1月1日至12月31日）",
                where(None, period.group(0)),
            )
    title_year = re.search(r"((?:19|20)\d{2})\s*年", report.title)
    if title_year and int(title_year.group(1)) != stats.year:
        yield Finding(
            "E-DOC-PERIOD",
            f"标题中的年度 {title_year.group(1)} 与统计年度 {stats.year} 不符",
            where(None, report.title),
        )

    # N-6: the basis of the format.
    compact = (
        re.sub(r"\s", "", everything)
        .replace("[", "〔")
        .replace("]", "〕")
        .replace("［", "〔")
        .replace("］", "〕")
    )
    if "〔2019〕60号" in compact:
        yield Finding(
            "E-DOC-BASIS",
            "引用了国办公开办函〔2019〕60号（2019年试行格式），现行格式依据是国办公开办函〔2021〕30号",
            where(None, "〔2019〕60号"),
        )
    elif "〔2021〕30号" not in compact:
        yield Finding(
            "W-DOC-BASIS-MISSING", "没有引用年度报告格式的依据国办公开办函〔2021〕30号", where(None)
        )

    # N-7: a statement on 信息处理费, even when nothing was collected.
    fee_sections = [s for s in layout.sections if s.fee_statement]
    for spec in fee_sections:
        found = sections.get(spec.id)
        if found is None:
            continue
        text = _text_of(found)
        has_table = any(
            isinstance(b, rp.Table) and "通知收取" in "".join(c.text for c in b.cells)
            for b in found.blocks
        )
        if "信息处理费" not in text.replace(found.heading, "") and not has_table:
            yield Finding(
                "E-DOC-FEE",
                f"“{found.heading}”中没有说明信息处理费收取情况（即使为零也应写明，如“本年度未收取信息处理费”）",
                where(found.heading),
            )

    # N-8: the five topics of 总体情况 (and, for governments, assessment results).
    overall = sections.get("overall")
    if overall is not None:
        text = _text_of(overall)
        missing = [name for name, words in TOPICS if not any(w in text for w in words)]
        if stats.agency.endswith("人民政府"):
            missing += [
                name for name, words in GOVERNMENT_TOPICS if not any(w in text for w in words)
            ]
        if missing:
            yield Finding(
                "W-DOC-TOPICS", f"总体情况没有写到：{'、'.join(missing)}", where(overall.heading)
            )

    # N-9: template and instruction text left in.
    for heading, number, paragraph in report.located_paragraphs():
        for match in TEMPLATE_TEXT.finditer(paragraph.text):
            yield Finding(
                "E-DOC-TEMPLATE",
                f"留有模板或说明文字“{match.group(0)}”，提交前须替换为实际内容",
                Location(
                    section=heading,
                    paragraph=number,
                    text=match.group(0),
                    span=(match.start(), match.end()),
                    file=file,
                ),
            )
            break


def _parts(report: rp.Report, layout: Layout, preamble: str, where: Location) -> Iterator[Finding]:
    match = parts_statement(preamble)
    if match is None:
        return
    listed, count_text = match.listed, match.count
    try:
        count = int(count_text) if count_text.isdigit() else parse_chinese(count_text)
    except ValueError:
        return
    headings = [s for s in report.sections if s.heading]
    if count != len(headings):
        yield Finding(
            "E-DOC-PARTS",
            f"前言说报告由{count_text}个部分组成，正文实际有 {len(headings)} 个一级标题",
            Location(**{**where.__dict__, "text": match.text[-12:]}),
        )
    compact = normalise(listed)
    for section in headings:
        title = normalise(_title(section.heading))
        spec = next((s for s in layout.sections if _same_title(section.heading, s)), None)
        names = {title} | ({normalise(n) for n in (spec.title, *spec.aliases)} if spec else set())
        if not any(name in compact for name in names):
            yield Finding(
                "E-DOC-PARTS",
                f"前言列出的部分名称与正文标题“{section.heading}”不一致",
                Location(**{**where.__dict__, "text": section.heading}),
            )


def table_rules(
    report: rp.Report, stats: Stats, layout: Layout, file: str | None
) -> Iterator[Finding]:
    """The printed tables against the layout (labels, 2019 columns, missing rows and cells)
    and against the statistics (values)."""
    tables = list(report.tables())
    printed_ids = [s.table for s in layout.sections if s.table]
    used: set[int] = set()
    for table_id in printed_ids:
        spec = layout.table(table_id)
        scored = sorted(
            ((label_hits(text_grid(t), spec), i) for i, t in enumerate(tables) if i not in used),
            reverse=True,
        )
        section = next(s for s in layout.sections if s.table == table_id)
        if not scored or scored[0][0] < 2:
            yield Finding(
                "E-TABLE-MISSING",
                f"找不到{spec.name}（{section.heading}）",
                Location(table=spec.name, section=section.heading, file=file),
            )
            continue
        index = scored[0][1]
        used.add(index)
        table = tables[index]
        yield from _one_table(table, spec, stats, section.heading, file)
    for index, table in enumerate(tables):
        text = "".join(c.text for c in table.cells)
        if index not in used and any(term in normalise(text) for term in TERMS_2019):
            yield Finding("E-TABLE-2019", "文档中有2019年试行格式的表格", Location(file=file))


def _one_table(
    table: rp.Table,
    spec,  # type: ignore[no-untyped-def]
    stats: Stats,
    heading: str,
    file: str | None,
) -> Iterator[Finding]:
    grid = text_grid(table)
    exact = table.exact

    def at(key: str | None = None, row: str | None = None, column: str | None = None) -> Location:
        return Location(
            path=key, table=spec.name, row=row, column=column, section=heading, file=file
        )

    printed = normalise("".join(text for row in grid for text in row))
    for term in TERMS_2019:
        if normalise(term) in printed:
            yield Finding("E-TABLE-2019", f"{spec.name}中有2019年试行格式的“{term}”", at())
    read = read_printed(table, spec, exact=exact)
    for official, found in read.renamed.items():
        yield Finding(
            "E-TABLE-LABEL",
            f"{spec.name}中“{found}”应为“{official}”（官方格式逐字一致）",
            at(row=found),
        )
    if not exact:
        for label in read.missing_labels:
            yield Finding("E-TABLE-MISSING", f"{spec.name}中找不到“{label}”", at(row=label))
        return
    missing_rows: dict[str, list[str]] = {}
    for key, text in read.values.items():
        info = spec.cells[key]
        if text is None:
            missing_rows.setdefault(info.row_label or info.column_header, []).append(key)
            continue
        yield from _cell(key, text, stats, at(key, info.row_label or None, info.column_header))
    for row, keys in missing_rows.items():
        yield Finding(
            "E-TABLE-MISSING",
            f"{spec.name}缺少“{row}”" + (f"的 {len(keys)} 个单元格" if len(keys) > 1 else ""),
            at(keys[0], row=row),
        )


def _cell(key: str, text: str, stats: Stats, where: Location) -> Iterator[Finding]:
    expected = stats.value(key)
    shown = "空白" if expected is None else format_number(expected)
    if not text:
        if expected is not None:
            yield Finding(
                "E-TABLE-VALUE", f"单元格空白，统计数据为 {shown}（没有数据也应填 0）", where
            )
        return
    try:
        value = Decimal(normalise(text).replace("，", "").replace(",", ""))
    except InvalidOperation:
        yield Finding("W-TABLE-TEXT", f"数字单元格中是“{text}”，应填写数字（没有数据填 0）", where)
        return
    if expected is None or value != Decimal(expected):
        yield Finding("E-TABLE-VALUE", f"表格中为 {text}，统计数据为 {shown}", where)
