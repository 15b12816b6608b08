"""The statistics file `drafter init` writes: every key, all zeros, commented in Chinese.

The comments name each row and column by its official label, taken from the layout, so the
template and the printed tables cannot drift apart. As written, the template loads and checks
clean; a clerk replaces zeros with figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from drafter.formats import Layout, load_layout
from drafter.statistics.stats import (
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    TOTAL,
    Applications,
    NotProcessed,
    OtherHandling,
    ReviewLitigation,
    Unavailable,
    Withheld,
)

PLACEHOLDER_AGENCY = "请填写发布机关全称"


def _q(text: str) -> str:
    """A YAML scalar for `text` (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _zero_row(columns: tuple[str, ...]) -> str:
    return "{" + ", ".join(f"{c}: 0" for c in columns) + "}"


def render_template(agency: str | None, year: int, layout_id: str) -> str:
    layout = load_layout(layout_id)
    return "\n".join(_lines(layout, agency or PLACEHOLDER_AGENCY, year)) + "\n"


def _lines(layout: Layout, agency: str, year: int) -> Iterator[str]:
    cell = layout.cell_info
    yield "# 政府信息公开工作年度报告 · 统计文件（由 drafter init 生成）"
    yield "#"
    yield "# 填写方法：把 0 改成本年度的实际数字；没有发生的事项保持 0，不要留空（空白不等于 0）。"
    yield "# 每行的“总计”(total) 可以删去，删去时自动计算，填写时核对是否等于各项之和。"
    yield "# 写完后运行：drafter check 本文件    — 检查各表的勾稽关系"
    yield "# 键名是固定的英文（拼错会报错，不会被当作 0），注释中是官方表格的原文标签。"
    yield ""
    others = "、".join(i for i in _layout_ids() if i != layout.id)
    yield f"format: {layout.id}   # 版式：{layout.name}" + (
        f"；其他可用版式：{others}" if others else ""
    )
    yield f"agency: {_q(agency)}   # 发布机关全称"
    yield f"year: {year}   # 统计年度：统计期限为该年1月1日至12月31日"
    yield ""
    yield "profile:"
    yield "  level: null              # 机关层级，如 县级人民政府、市直部门、乡镇（街道）"
    yield "  rulemaking_power: null   # 是否有规章制定权（true/false）；不填时按机关名称推断"
    yield "  self_name: null          # 报告中的自称，如 我区、我委、我中心；不填时按机关名称推断"
    yield ""
    yield "# 发布网址和联系方式不填时，起草的前言留下【待补充】，请经办人补上。"
    yield "publication:               # 前言中“本报告在……公布”"
    yield "  site: null               # 网站名称"
    yield "  url: null                # 网址"
    yield "  column: null             # 栏目，如 政府信息公开年度报告"
    yield ""
    yield "contact:                   # 前言中的联系方式"
    yield "  office: null             # 联系部门，如 某某局办公室"
    yield "  address: null            # 通讯地址"
    yield '  postal_code: null        # 邮政编码（加引号，如 "362000"）'
    yield "  phone: null              # 联系电话"
    yield "  fax: null                # 传真"
    yield "  email: null              # 电子邮箱"
    yield ""
    yield "# 报送函（可选）：以函的形式报送、报告作为附件时填写"
    yield "# cover_letter:"
    yield "#   doc_number: 某某函〔2025〕1号"
    yield "#   recipient: 某某市人民政府办公室"
    yield "#   contact_person: 张三"
    yield "#   contact_phone: 0000-00000000"
    yield ""
    yield "# 与上年数据口径不同（机构改革、职能划转等）时在此说明，用于跨年度核对"
    yield "scope_change: null"
    yield ""
    yield from _proactive(layout)
    yield ""
    yield from _applications(layout)
    yield ""
    yield from _review(layout)
    yield ""
    fees = [cell(f"processing_fees.{k}") for k in ("notices", "notified_yuan", "collected_yuan")]
    fee_section = next((s for s in layout.sections if s.table == "processing_fees"), None)
    where = fee_section.heading if fee_section else "在“其他需要报告的事项”中说明"
    yield f"# 信息处理费（{where}）"
    yield "processing_fees:"
    for key, info in zip(("notices", "notified_yuan", "collected_yuan"), fees, strict=True):
        label = info.column_header if info else key
        yield f"  {key}: 0{' ' * (16 - len(key))}# {label}"
    yield ""
    yield "# 叙述部分可以陈述的数：每个数一条，正文中的数字都从这里或上面的表格来。"
    yield "# parts 列出相加应等于本数的事实；cell 指出本数重述的表格单元格（两者都会被核对）。"
    yield "# 例："
    yield "#   - {id: proactive.items, label: 主动公开政府信息, value: 143, unit: 条,"
    yield "#      section: overall.proactive,"
    yield "#      parts: [proactive.items.policies, proactive.items.other]}"
    yield "#   - {id: platforms.website_items, label: 在网站发布各类信息, value: 800, approx: 多,"
    yield "#      unit: 条, section: overall.platforms}"
    yield "facts: []"
    yield ""
    yield "# 各部分的素材（措施、亮点、问题）。起草时作为素材使用，其中的文字不会被当作指令。"
    yield "# 没有素材的部分，起草时只写统计数据能证明的话，并留下【待补充：……】说明这里应写什么。"
    yield "notes:"
    titles = _section_titles(layout)
    for section_id, title in titles.items():
        yield f'  {section_id}: ""{" " * (22 - len(section_id))}# {title}'


def _layout_ids() -> list[str]:
    from drafter.formats import layout_ids

    return layout_ids()


def _section_titles(layout: Layout) -> dict[str, str]:
    titles: dict[str, str] = {}
    for section in layout.sections:
        if section.subsections:
            titles[section.id] = f"{section.heading}（开头的概述）"
            for sub in section.subsections:
                titles[sub.id] = f"{section.heading} {sub.heading}"
        elif section.table is None:
            titles[section.id] = section.heading
    return titles


def _proactive(layout: Layout) -> Iterator[str]:
    section = next(s for s in layout.sections if s.table == "proactive")
    cell = layout.cell_info
    yield f"# {section.heading}"
    yield "proactive:"
    first = cell("proactive.rules.issued")
    assert first is not None
    headers = " / ".join(
        f"{k}={cell(f'proactive.rules.{k}').column_header}"  # type: ignore[union-attr]
        for k in ("issued", "repealed", "in_force")
    )
    yield f"  # {first.caption}：{headers}"
    for name in ("rules", "normative_documents"):
        label = cell(f"proactive.{name}.issued").row_label  # type: ignore[union-attr]
        pad = " " * (20 - len(name))
        yield f"  {name}:{pad}{{issued: 0, repealed: 0, in_force: 0}}   # {label}"
    for name in ("licensing", "penalty", "enforcement", "admin_fees_10k_yuan"):
        info = cell(f"proactive.{name}")
        assert info is not None
        pad = " " * max(1, 20 - len(name))
        yield f"  {name}: 0{pad}# {info.caption} {info.row_label} · {info.column_header}"


def _applications(layout: Layout) -> Iterator[str]:
    section = next(s for s in layout.sections if s.table == "applications")
    yield f"# {section.heading}"
    columns = [
        f"{c} {layout.column_header('applications', c).split(' · ')[-1]}"
        for c in (*APPLICANT_COLUMNS, TOTAL)
    ]
    yield "# 列：" + "；".join(columns)
    placed = layout.table("applications").placed
    corner = next(p.cell.text for p in placed if p.cell.role == "corner")
    yield f"# {corner}：每一列都须成立"
    row = _zero_row((*APPLICANT_COLUMNS, TOTAL))
    label = lambda prefix: layout.group_label(prefix)[1].split(" · ")[-1]  # noqa: E731
    yield "applications:"
    for name in ("new_received", "carried_over"):
        yield f"  # {label('applications.' + name)}"
        yield f"  {name}: {row}"
    yield "  results:   # 三、本年度办理结果"
    for name in ("disclosed", "partially_disclosed"):
        yield f"    # {label('applications.results.' + name)}"
        yield f"    {name}: {row}"
    groups = (
        ("withheld", Withheld),
        ("unavailable", Unavailable),
        ("not_processed", NotProcessed),
        ("other", OtherHandling),
    )
    for group, model in groups:
        prefix = f"applications.results.{group}"
        first = next(iter(model.model_fields))
        group_label = layout.group_label(f"{prefix}.{first}")[1].split(" · ")[-2]
        yield f"    {group}:   # {group_label}"
        for name in model.model_fields:
            yield f"      # {label(f'{prefix}.{name}')}"
            yield f"      {name}: {row}"
    yield f"    # {label('applications.results.total')}（可删去，删去时自动计算）"
    yield f"    total: {row}"
    yield f"  # {label('applications.carried_forward')}"
    yield f"  carried_forward: {row}"
    assert set(Applications.model_fields) == {
        "new_received",
        "carried_over",
        "results",
        "carried_forward",
    }


def _review(layout: Layout) -> Iterator[str]:
    section = next(s for s in layout.sections if s.table == "review_litigation")
    yield f"# {section.heading}"
    columns = [
        f"{c} {layout.cell_info(f'review_litigation.review.{c}').column_header.split(' · ')[-1]}"  # type: ignore[union-attr]
        for c in (*REVIEW_COLUMNS, TOTAL)
    ]
    yield "# 列：" + "；".join(columns)
    yield "review_litigation:"
    row = _zero_row((*REVIEW_COLUMNS, TOTAL))
    for name in ReviewLitigation.model_fields:
        label = layout.group_label(f"review_litigation.{name}")[1]
        yield f"  {name}: {row}{' ' * (24 - len(name))}# {label}"
