"""Statistics read back from a published report: `drafter extract`, `--previous REPORT`.

A report (.docx of this tool or edited by hand, a .docx made elsewhere in the official
layout, a saved .html page, or plain text) is read into the data of a statistics file: the
three tables, the 信息处理费 figures, the agency and the year. Tables are found by their
official labels, never by position, so another styling, an extra blank row or a label
printed slightly differently still reads right. Tables printed as text (a web page that puts
every row or every cell in a paragraph) are read as a stream of cells after each row label.
The 2019 试行 format's tables (docs/format.md §1.2) are recognised, and the figures that have a
2021 counterpart are taken with a warning. A blank cell comes back blank (null), never 0.

The result goes through the same validation as a statistics file (`stats_from_data`), so a
report whose tables cannot be read gives a located error, not a half-filled statistics file.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from drafter import formats
from drafter import report as rp
from drafter.errors import InputError, one_line
from drafter.read.tables import SIMILAR, label_hits, normalise, read_printed, text_grid
from drafter.statistics.stats import Stats

DOCUMENT_SUFFIXES = {".docx", ".html", ".htm", ".md", ".markdown", ".txt"}
SIX_PART = "gov-info-disclosure-2021"
SEVEN_PART = "gov-info-disclosure-2021-seven-part"

_BLANK_MARKS = {"/", "／", "-", "－", "—", "——", "–", "\\", "无", "空", "×", "*"}
_NUMBER = re.compile(r"^[+]?\d+(?:\.\d+)?$")
_UNIT_TAIL = re.compile(r"^(\d+(?:\.\d+)?)(?:万元|元|件|个|条|项|次)$")
_TITLE = re.compile(
    r"^(?P<agency>.*?)(?:关于)?(?P<year>(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年度?"
    r"(?:度)?政府信息公开"
)
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}


@dataclass
class Extracted:
    """What a report gives: the statistics data, its layout, and what the reader should check."""

    data: dict[str, Any]
    layout: str
    source: str
    warnings: list[str] = field(default_factory=list)
    format_2019: bool = False


def is_document(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES


def extracted_stats(extracted: Extracted) -> Stats:
    from drafter.statistics.load import stats_from_data

    return stats_from_data(extracted.data, {}, extracted.source)


def extract(path: str | Path, *, agency: str | None = None, year: int | None = None) -> Extracted:
    """Read a published report into statistics data. Raises InputError when the file cannot
    be read or holds no official table."""
    from drafter.read.document import read_document

    path = Path(path)
    report, _ = read_document(path)
    return extract_report(report, str(path), agency=agency, year=year)


def extract_report(
    report: rp.Report, source: str, *, agency: str | None = None, year: int | None = None
) -> Extracted:
    layout = formats.load_layout(_layout_of(report))
    out = Extracted({}, layout.id, source)
    found_agency, found_year = _agency_and_year(report)
    agency = agency or found_agency
    year = year or found_year
    if not agency or not year:
        missing = "、".join(w for w, v in (("机关", agency), ("年度", year)) if not v)
        raise InputError(
            f"{source}: 无法从标题中读出{missing}（标题：{report.title or '无'}），"
            "请用 --agency、--year 指定",
            code="E-USAGE",
        )
    data: dict[str, Any] = {"format": layout.id, "agency": agency, "year": year}
    values: dict[str, Any] = {}
    tables = list(report.tables())
    text_tokens: list[str] | None = None
    used: set[int] = set()
    table_ids = [s.table for s in layout.sections if s.table]
    found_any = False
    for table_id in table_ids:
        spec = layout.table(table_id)
        read = _read_grid_table(tables, used, spec, table_id, out)
        if read is None:
            if text_tokens is None:
                text_tokens = _tokens(report)
            read = _read_text_table(text_tokens, spec, out)
        if read is None:
            out.warnings.append(f"找不到{spec.name}，其中各格按空白读入")
            read = {key: None for key in spec.cells}
        else:
            found_any = True
        values.update(read)
    if not found_any:
        raise InputError(
            f"{source}: 找不到政府信息公开年报的统计表（表二、表三、表四）", code="E-FILE-TYPE"
        )
    if not any(s.table == "processing_fees" for s in layout.sections):
        values.update(_fees_from_text(report, out))
    for key, value in values.items():
        if key.startswith("unmapped."):
            continue
        _set(data, key.split("."), value)
    data.setdefault("processing_fees", {})
    out.data = data
    return out


# ---- which layout, whose report ---------------------------------------------------------------


def _layout_of(report: rp.Report) -> str:
    """Seven parts when 信息处理费 has a section heading of its own."""
    for section in report.sections:
        if section.level == 1 and "信息处理费" in section.heading:
            return SEVEN_PART
    return SIX_PART


def _agency_and_year(report: rp.Report) -> tuple[str | None, int | None]:
    title = normalise(report.title)
    match = _TITLE.match(title)
    if not match:
        return None, None
    digits = match.group("year")
    if not digits.isdigit():
        digits = "".join(_CN_DIGITS.get(c, c) for c in digits)
    agency = match.group("agency").strip('《》“”"') or None
    return agency, int(digits)


# ---- tables printed as tables ----------------------------------------------------------------


def _read_grid_table(
    tables: list[rp.Table],
    used: set[int],
    spec: formats.Table,
    table_id: str,
    out: Extracted,
) -> dict[str, Any] | None:
    """The best matching printed table for `spec` (the 2021 table, or its 2019 form)."""
    old = formats.reference_tables("tables-2019").get(table_id)
    best: tuple[int, int, formats.Table] | None = None
    for index, table in enumerate(tables):
        if index in used or not table.exact:
            continue
        grid = text_grid(table)
        for candidate in (spec, old):
            if candidate is None:
                continue
            hits = label_hits(grid, candidate)
            if hits >= 2 and (best is None or hits > best[0]):
                best = (hits, index, candidate)
    if best is None:
        return None
    _, index, chosen = best
    used.add(index)
    modern = read_printed(tables[index], spec)
    read = modern
    if old is not None and _found(modern.values) < len(spec.cells):
        # The 2019 table 三 differs only in （六）, so both forms name most labels: the form
        # that finds more cells is the one printed (the 2021 form when they tie).
        older = read_printed(tables[index], old)
        if _found(older.values) > _found(modern.values):
            chosen, read = old, older
        else:
            chosen = spec
    else:
        chosen = spec
    if chosen is not spec:
        out.format_2019 = True
        out.warnings.append(_note_2019(table_id, chosen))
    for official, printed in read.renamed.items():
        out.warnings.append(f"{chosen.name}中“{printed}”按“{official}”读入")
    values: dict[str, Any] = {}
    missing_rows: dict[str, int] = {}
    for key, text in read.values.items():
        if key.startswith("unmapped."):
            continue
        info = chosen.cells[key]
        if text is None:
            missing_rows[info.row_label or info.column_header] = (
                missing_rows.get(info.row_label or info.column_header, 0) + 1
            )
            values[key] = None
            continue
        values[key] = _value(
            text, key, f"{chosen.name} · {info.row_label} · {info.column_header}", out
        )
    for row, count in missing_rows.items():
        out.warnings.append(f"{chosen.name}中找不到“{row}”（{count} 格按空白读入）")
    return _complete(values, spec)


def _found(values: dict[str, str | None]) -> int:
    return sum(1 for k, v in values.items() if v is not None and not k.startswith("unmapped."))


def _note_2019(table_id: str, table: formats.Table) -> str:
    if table_id == "applications":
        return f"{table.name}：2019年试行格式，“（六）其他处理”只有一行，读作2021年格式的“3.其他”"
    return (
        f"{table.name}：2019年试行格式，“本年新制作数量”读作本年制发件数、“对外公开总数量”读作"
        "现行有效件数、“处理决定数量”读作本年处理决定数量；本年废止件数和行政事业性收费金额"
        "没有对应的数，按空白读入"
    )


def _complete(values: dict[str, Any], spec: formats.Table) -> dict[str, Any]:
    """Every key of the 2021 table: what the 2019 form has no cell for is blank."""
    out = {key: None for key in spec.cells}
    out.update(values)
    return out


# ---- tables printed as text ------------------------------------------------------------------


def _tokens(report: rp.Report) -> list[str]:
    """The document's text as a stream of cells, in reading order: every heading and
    paragraph split at white space (a row printed as a line may look like a heading:
    "一、本年新收政府信息公开申请数量 3 0 0 …"), every cell of a table read from plain text."""
    tokens: list[str] = []

    def blocks(blocks: list[rp.Block]) -> None:
        for block in blocks:
            if isinstance(block, rp.Paragraph):
                tokens.extend(block.text.split())
            elif not block.exact:
                # plain text keeps a blank cell's place (a tab): it stays a blank token
                for row in block.grid():
                    tokens.extend(c.text.strip() for c in row)

    def section(part: rp.Section) -> None:
        tokens.extend(part.heading.split())
        blocks(part.blocks)
        for sub in part.subsections:
            section(sub)

    for paragraph in report.preamble:
        tokens.extend(paragraph.text.split())
    for part in report.sections:
        section(part)
    return tokens


def _is_cell_value(token: str) -> bool:
    if not token:
        return True  # a blank cell of a table printed as plain text
    text = unicodedata.normalize("NFKC", token).replace(",", "")
    return bool(_NUMBER.match(text) or _UNIT_TAIL.match(text)) or token in _BLANK_MARKS


def _read_text_table(
    tokens: list[str], spec: formats.Table, out: Extracted
) -> dict[str, Any] | None:
    """Each row of values follows its innermost label in the stream; table 四, which has no
    row label, is the first run of its 15 values after its headers."""
    norm = [normalise(t) for t in tokens]
    rows: dict[int, list[str]] = {}
    row_of = {p.cell.key: p.row for p in spec.placed if p.cell.key is not None}
    for key in spec.cells:
        rows.setdefault(row_of[key], []).append(key)
    values: dict[str, Any] = {}
    position = 0
    hits = 0
    for _, keys in sorted(rows.items()):
        info = spec.cells[keys[0]]
        label = info.row_label.split(" · ")[-1] if info.row_label else ""
        start = (
            _find_label(norm, normalise(label), position, spec.name, out)
            if label
            else _first_run(norm, len(keys), position)
        )
        if start is None:
            for key in keys:
                values[key] = None
            continue
        run: list[str] = []
        cursor = start
        limit = len(keys) + 6
        while cursor < len(tokens) and len(run) < limit and _is_cell_value(tokens[cursor]):
            run.append(tokens[cursor])
            cursor += 1
        # Plain text pads short rows with blank cells at the end, and blank label cells of
        # merged label columns may stand between a label and its values: drop blanks at the
        # end first, then at the start, until the row has as many cells as the table has.
        while len(run) > len(keys) and not run[-1]:
            run.pop()
        skipped = 0
        while len(run) - skipped > len(keys) and not run[skipped]:
            skipped += 1
        run = run[skipped : skipped + len(keys)]
        if len(run) < len(keys):
            for key in keys:
                values[key] = None
            continue
        hits += 1
        position = start + skipped + len(keys)
        for key, text in zip(keys, run, strict=True):
            where = f"{spec.name} · {info.row_label} · {spec.cells[key].column_header}"
            values[key] = _value(text, key, where, out)
    if hits < 2 and not (hits == 1 and len(rows) == 1):
        return None
    missing = sum(1 for v in values.values() if v is None)
    out.warnings.append(
        f"{spec.name}是以文字排出的（合并单元格已丢失），按行名之后的数读入"
        + (f"；{missing} 格按空白读入" if missing else "")
    )
    return values


def _find_label(norm: list[str], label: str, start: int, table: str, out: Extracted) -> int | None:
    """The index just after the tokens that spell `label` (from `start` on); a label printed
    a little differently (规范性文件 for 行政规范性文件) is taken, with a warning."""
    for i in range(start, len(norm)):
        joined = ""
        for j in range(i, min(i + 8, len(norm))):
            joined += norm[j]
            if joined == label:
                return j + 1
            if not label.startswith(joined):
                break
    for i in range(start, len(norm)):
        token = norm[i]
        if (
            len(token) >= 4
            and not _is_cell_value(token)
            and difflib.SequenceMatcher(None, token, label).ratio() >= SIMILAR
        ):
            out.warnings.append(f"{table}中“{token}”按“{label}”读入")
            return i + 1
    return None


def _first_run(norm: list[str], length: int, start: int) -> int | None:
    """The start of the first run of at least `length` cell values (blank or not)."""
    run_start = None
    for i in range(start, len(norm) + 1):
        if i < len(norm) and _is_cell_value(norm[i]):
            run_start = i if run_start is None else run_start
            continue
        if run_start is not None and i - run_start >= length:
            return run_start
        run_start = None
    return None


# ---- values ---------------------------------------------------------------------------------


def _value(text: str, key: str, where: str, out: Extracted) -> int | Decimal | None:
    """A printed cell as the statistics value: blank stays blank (None), never 0."""
    raw = text.strip()
    if not raw:
        return None
    if raw in _BLANK_MARKS:
        out.warnings.append(f"{where}：单元格为“{raw}”，按空白读入")
        return None
    clean = unicodedata.normalize("NFKC", raw).replace(",", "").replace("，", "").replace(" ", "")
    tail = _UNIT_TAIL.match(clean)
    if tail:
        out.warnings.append(f"{where}：单元格为“{raw}”，按 {tail.group(1)} 读入")
        clean = tail.group(1)
    money = key.endswith("yuan")
    try:
        number = Decimal(clean)
    except InvalidOperation:
        out.warnings.append(f"{where}：单元格为“{raw}”，不是数字，按空白读入")
        return None
    if number < 0:
        out.warnings.append(f"{where}：单元格为负数“{raw}”，按空白读入")
        return None
    if money:
        return number
    if number != number.to_integral_value():
        out.warnings.append(f"{where}：件数“{raw}”不是整数，按空白读入")
        return None
    return int(number)


def _set(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


# ---- 信息处理费 stated in a sentence ----------------------------------------------------------

_FEE_NONE = re.compile(
    r"(?:未|没有|无|不)(?:收取|产生|涉及|发生)[^。；]{0,8}信息处理费|信息处理费[^。；]{0,12}"
    r"(?:为(?:0|零)|0元|零元|未收取|没有收取)|(?:未|没有)(?:发出|出具)[^。；]{0,6}收费通知"
)
_FEE_NOTICES = re.compile(
    r"(?<!\d)(\d++)\s*+(?:件|份|次)[^。；]{0,12}(?:收费通知|通知收取|收取信息处理费)"
    r"|(?:收费通知|通知收取)[^。；]{0,8}?(\d+)\s*+(?:件|份|次)"
)
_FEE_NOTIFIED = re.compile(r"通知收取[^。；\d]{0,12}(\d+(?:\.\d+)?)\s*元")
_FEE_COLLECTED = (
    re.compile(r"(?:实际收取|实收|实际收缴)[^。；\d]{0,12}(\d+(?:\.\d+)?)\s*元"),
    re.compile(r"(?<!通知)(?:共收取|收取)(?:信息处理费)?[^。；\d]{0,12}(\d+(?:\.\d+)?)\s*元"),
)


def _fees_from_text(report: rp.Report, out: Extracted) -> dict[str, Any]:
    """The six-part layout states the 信息处理费 figures in a sentence of 六、其他需要报告的事项."""
    sentences = [
        s
        for p in report.paragraphs()
        for s in re.split(r"(?<=[。；])", unicodedata.normalize("NFKC", p.text))
        if "信息处理费" in s or "收费通知" in s
    ]
    keys = (
        "processing_fees.notices",
        "processing_fees.notified_yuan",
        "processing_fees.collected_yuan",
    )
    text = "".join(sentences)
    if not text:
        out.warnings.append("正文中没有关于信息处理费的说明，三个数按空白读入")
        return dict.fromkeys(keys)
    notices = _FEE_NOTICES.search(text)
    notified = _FEE_NOTIFIED.search(text)
    collected = next((m for p in _FEE_COLLECTED if (m := p.search(text))), None)
    if not (notices or notified or collected):
        if _FEE_NONE.search(text):
            return {keys[0]: 0, keys[1]: Decimal(0), keys[2]: Decimal(0)}
        out.warnings.append(f"未能从“{text[:60]}”读出信息处理费的数，按空白读入")
        return dict.fromkeys(keys)
    result: dict[str, Any] = {
        keys[0]: int(next(g for g in notices.groups() if g)) if notices else None,
        keys[1]: Decimal(notified.group(1)) if notified else None,
        keys[2]: Decimal(collected.group(1)) if collected else None,
    }
    if result[keys[1]] is None and result[keys[2]] is not None and "通知" not in text:
        result[keys[1]] = result[keys[2]]  # "收取信息处理费200元": notified and collected
    blank = [k.split(".")[-1] for k, v in result.items() if v is None]
    out.warnings.append(
        f"信息处理费由正文“{text[:60]}”读出" + (f"；{'、'.join(blank)} 按空白读入" if blank else "")
    )
    return result


# ---- writing the statistics file ------------------------------------------------------------


def to_yaml(extracted: Extracted) -> str:
    """The statistics file, with a header saying where it came from and what to check."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def amount(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
        # A plain number as a clerk writes it: 0, 12.5 (never !!float '0').
        text = format(value, "f")
        if "." not in text:
            return dumper.represent_int(int(text))
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(Decimal, amount)
    body = yaml.dump(extracted.data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100)
    # Each comment line is one line whatever the document's text holds: a cell with a line
    # break must not end the comment and plant keys (notes:, facts:) in the file.
    header = [
        f"# 由 drafter extract 从 {one_line(extracted.source)} 读出"
        f"（{_dt.date.today().isoformat()}）。",
        "# 空白单元格读作 null（不是 0）；正文中的事实（facts）和素材（notes）没有读出。",
    ]
    if extracted.warnings:
        header.append("# 请核对：")
        header += [f"#   - {one_line(w)}" for w in extracted.warnings]
    return "\n".join(header) + "\n" + body
