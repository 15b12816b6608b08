"""The official layouts as data: labels character-exact (docs/format.md §3), merges as published."""

from __future__ import annotations

import pytest
from conftest import base_data, load_data

from drafter.errors import InputError
from drafter.formats import _build, layout_ids, load_layout
from drafter.statistics.stats import Stats

# docs/format.md §3.2, copied from the specification (not from our layout file).
TABLE_THREE_ROWS = [
    ("L01", ["一、本年新收政府信息公开申请数量"]),
    ("L02", ["二、上年结转政府信息公开申请数量"]),
    ("L03", ["三、本年度办理结果", "（一）予以公开"]),
    ("L04", ["三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"]),
    ("L05", ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"]),
    ("L06", ["三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"]),
    ("L07", ["三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"]),
    ("L08", ["三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"]),
    ("L09", ["三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"]),
    ("L10", ["三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"]),
    ("L11", ["三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"]),
    ("L12", ["三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"]),
    ("L13", ["三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"]),
    ("L14", ["三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"]),
    ("L15", ["三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"]),
    ("L16", ["三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"]),
    ("L17", ["三、本年度办理结果", "（五）不予处理", "2.重复申请"]),
    ("L18", ["三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"]),
    ("L19", ["三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"]),
    ("L20", ["三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"]),
    (
        "L21",
        [
            "三、本年度办理结果",
            "（六）其他处理",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ],
    ),
    (
        "L22",
        [
            "三、本年度办理结果",
            "（六）其他处理",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ],
    ),
    ("L23", ["三、本年度办理结果", "（六）其他处理", "3.其他"]),
    ("L24", ["三、本年度办理结果", "（七）总计"]),
    ("L25", ["四、结转下年度继续办理"]),
]
APPLICANT_HEADERS = [
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
]


@pytest.fixture(params=layout_ids())
def layout(request):
    return load_layout(request.param)


def test_both_layouts_exist():
    assert {"gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"} <= set(layout_ids())


def test_six_and_seven_parts():
    six = load_layout("gov-info-disclosure-2021")
    seven = load_layout("gov-info-disclosure-2021-seven-part")
    assert [s.heading for s in six.sections] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert [s.heading for s in seven.sections][4] == "五、信息处理费收取情况"
    assert seven.section("fees").table == "processing_fees"
    assert len(seven.sections) == 7
    assert [s.title for s in six.section("overall").subsections] == [
        "主动公开",
        "依申请公开",
        "政府信息管理",
        "政府信息公开平台建设",
        "监督保障",
    ]
    # The statement of 信息处理费 belongs to 六 in the national layout, to 五 in the variant.
    assert [s.id for s in six.sections if s.fee_statement] == ["other"]
    assert [s.id for s in seven.sections if s.fee_statement] == ["fees"]


def test_table_three_labels_are_character_exact(layout):
    table = layout.table("applications")
    by_row: dict[str, list[str]] = {}
    for info in table.cells.values():
        by_row.setdefault(info.row_id, info.row_label.split(" · "))
    assert [(rid, by_row[rid]) for rid, _ in TABLE_THREE_ROWS] == TABLE_THREE_ROWS
    headers = [
        layout.column_header("applications", c).split(" · ")[-1] for c in table.value_columns
    ]
    assert headers == APPLICANT_HEADERS
    assert (
        layout.column_header("applications", "commercial")
        == "申请人情况 · 法人或其他组织 · 商业企业"
    )
    assert len(table.cells) == 175


def test_table_three_merges(layout):
    table = layout.table("applications")
    spans = {p.cell.text: (p.cell.rowspan, p.cell.colspan) for p in table.placed if p.cell.text}
    assert spans["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] == (3, 3)
    assert spans["申请人情况"] == (1, 7)
    assert spans["自然人"] == (2, 1)
    assert spans["法人或其他组织"] == (1, 5)
    assert spans["总计"] == (2, 1)
    assert spans["三、本年度办理结果"] == (22, 1)
    assert spans["（三）不予公开"] == (8, 1)
    assert spans["（四）无法提供"] == (3, 1)
    assert spans["（五）不予处理"] == (5, 1)
    assert spans["（六）其他处理"] == (3, 1)
    for label in (
        "一、本年新收政府信息公开申请数量",
        "二、上年结转政府信息公开申请数量",
        "四、结转下年度继续办理",
    ):
        assert spans[label] == (1, 3)
    for label in ("（一）予以公开", "（七）总计"):
        assert spans[label] == (1, 2)
    assert table.columns == 10 and len(table.rows) == 3 + 25


def test_table_four_has_fifteen_cells_under_two_header_levels(layout):
    table = layout.table("review_litigation")
    assert table.columns == 15 and len(table.cells) == 15
    headers = [info.column_header for info in table.cells.values()]
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert headers == (
        [f"行政复议 · {r}" for r in results]
        + [f"行政诉讼 · 未经复议直接起诉 · {r}" for r in results]
        + [f"行政诉讼 · 复议后起诉 · {r}" for r in results]
    )
    spans = {
        (p.cell.text, p.row): (p.cell.rowspan, p.cell.colspan) for p in table.placed if p.cell.text
    }
    assert spans[("行政复议", 0)] == (1, 5)
    assert spans[("行政诉讼", 0)] == (1, 10)
    assert spans[("结果维持", 1)] == (2, 1)
    assert spans[("未经复议直接起诉", 1)] == (1, 5)
    assert spans[("复议后起诉", 1)] == (1, 5)


def test_table_two_labels_and_blocks(layout):
    table = layout.table("proactive")
    captions = [p.cell.text for p in table.placed if p.cell.role == "caption"]
    assert captions == [
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
    ]
    info = layout.cell_info
    assert (
        info("proactive.rules.repealed").row_label,
        info("proactive.rules.repealed").column_header,
    ) == ("规章", "本年废止件数")
    assert info("proactive.normative_documents.in_force").row_label == "行政规范性文件"
    assert info("proactive.licensing").column_header == "本年处理决定数量"
    assert info("proactive.enforcement").row_label == "行政强制"
    assert info("proactive.admin_fees_10k_yuan").column_header == "本年收费金额（单位：万元）"
    single = next(p for p in table.placed if p.cell.key == "proactive.licensing")
    assert single.cell.colspan == 3


def test_fee_table(layout):
    info = layout.cell_info("processing_fees.collected_yuan")
    assert (info.row_label, info.column_header) == ("信息处理费收取情况", "实际收取金额（元）")


def test_every_value_cell_names_a_statistics_key(layout):
    """The layout and the contract agree: every cell's key is a value of Stats, and every
    table value of Stats has exactly one cell."""
    stats = load_data(base_data())
    keys = [k for t in layout.tables.values() for k in t.cells]
    assert len(keys) == len(set(keys))
    for key in keys:
        stats.value(key)  # raises KeyError for a key that names nothing
    expected = {
        f"{prefix}.{c}"
        for prefix, row in stats.applicant_rows()
        for c in (
            "natural_person",
            "commercial",
            "research",
            "social_welfare",
            "legal_service",
            "other",
            "total",
        )
    }
    expected |= {
        f"{prefix}.{c}"
        for prefix, _ in stats.review_blocks()
        for c in ("upheld", "corrected", "other", "pending", "total")
    }
    expected |= {
        f"proactive.{r}.{c}"
        for r in ("rules", "normative_documents")
        for c in ("issued", "repealed", "in_force")
    }
    expected |= {
        "proactive.licensing",
        "proactive.penalty",
        "proactive.enforcement",
        "proactive.admin_fees_10k_yuan",
        "processing_fees.notices",
        "processing_fees.notified_yuan",
        "processing_fees.collected_yuan",
    }
    assert set(keys) == expected


def test_outcome_rows_follow_the_official_order(layout):
    stats: Stats = load_data(base_data())
    table = layout.table("applications")
    layout_order = []
    for info in table.cells.values():
        row_key = info.key.rsplit(".", 1)[0]
        if row_key not in layout_order:
            layout_order.append(row_key)
    assert layout_order == [prefix for prefix, _ in stats.applicant_rows()]


def test_a_broken_layout_is_refused_with_a_clear_message(tmp_path):
    data = {
        "id": "broken",
        "name": "x",
        "basis": "x",
        "title": "x",
        "sections": [{"id": "a", "number": "一", "title": "甲", "table": "t"}],
        "tables": {"t": {"columns": 2, "rows": [[{"text": "甲", "role": "label"}]]}},
    }
    with pytest.raises(InputError) as caught:
        _build("broken", data, tmp_path / "broken.yaml")
    assert "第1行有 1 格，应为 2 格" in str(caught.value)
    data["tables"]["t"]["rows"] = [[{"text": "甲", "role": "label", "colspan": 3}]]
    with pytest.raises(InputError, match="超出 2 列"):
        _build("broken", data, tmp_path / "broken.yaml")


def test_unknown_layout():
    with pytest.raises(InputError, match="未知的版式"):
        load_layout("no-such-layout")


def _field_description(path: list[str]) -> list[str]:
    """The pydantic field descriptions along a key path of Stats."""
    from drafter.statistics.load import _inner_model

    model, out = Stats, []
    for name in path:
        field = model.model_fields[name]
        out.append(field.description or "")
        model = _inner_model(field.annotation)
    return out


def test_model_descriptions_agree_with_the_layout():
    """The schema's Chinese descriptions repeat official labels for editors' hover text; the
    layout is the source, so they must not drift from it."""
    layout = load_layout()
    for table in layout.tables.values():
        for key, info in table.cells.items():
            *_, row_desc, cell_desc = _field_description(key.split("."))
            header = info.column_header.split(" · ")
            assert header[-1] in cell_desc, (key, header[-1], cell_desc)
            row = info.row_label.split(" · ")[-1] if info.row_label else " · ".join(header[:-1])
            # A single-value row (行政许可) is one field holding both the row and the header.
            assert row in row_desc or row in cell_desc, (key, row, row_desc, cell_desc)
