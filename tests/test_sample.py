"""The bundled sample: the Quanzhou report as published, and hand-broken copies of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE

from drafter.checking.checks import check
from drafter.statistics.load import load_stats


def test_sample_loads_with_every_narrative_number_as_a_fact():
    stats = load_stats(SAMPLE)
    assert stats.agency == "泉州市科学技术局" and stats.year == 2023
    assert stats.format == "gov-info-disclosure-2021-seven-part"
    values = {f.id: (f.value, f.unit) for f in stats.facts}
    expected = {
        "proactive.items": (143, "条"),
        "proactive.policies": (24, "条"),
        "proactive.interpretations": (25, "条"),
        "proactive.npc_suggestions": (15, "件"),
        "proactive.npc_suggestions.lead": (4, "件"),
        "proactive.npc_suggestions.assist": (11, "件"),
        "proactive.cppcc_proposals": (40, "件"),
        "proactive.cppcc_proposals.lead": (9, "件"),
        "proactive.cppcc_proposals.joint": (31, "件"),
        "proactive.cppcc_proposals.published": (18, "件"),
        "platforms.website_items": (800, "条"),
        "platforms.wechat_issues": (145, "期"),
        "platforms.wechat_items": (752, "条"),
        "platforms.archive_documents": (134, "份"),
        "management.online_interviews": (5, "期"),
        "management.opinion_solicitations": (6, "条"),
        "management.online_surveys": (4, "次"),
        "management.mailbox_items": (8, "条"),
        "management.normative_in_force": (11, "份"),
    }
    for fact_id, value in expected.items():
        assert values[fact_id] == value, fact_id
    assert stats.fact("platforms.website_items").approx == "多"
    assert sorted(stats.fact("proactive.items").parts) == sorted(
        f"proactive.items.{p}"
        for p in ("rules", "statistics", "finance", "projects", "news", "other")
    )
    assert all(
        stats.note(s)
        for s in (
            "overall.proactive",
            "overall.requests",
            "overall.management",
            "overall.platforms",
            "overall.supervision",
            "problems",
            "other",
        )
    )


def test_sample_reports_the_seeds_real_contradictions():
    found = check(load_stats(SAMPLE))
    by_code: dict[str, list] = {}
    for f in found:
        by_code.setdefault(f.code, []).append(f)
    assert set(by_code) == {"E-CELL-BLANK", "E-FACT-CELL", "W-CONTACT-POSTCODE"}
    # The five empty 行政复议 cells of table 四.
    assert sorted(f.location.column for f in by_code["E-CELL-BLANK"]) == sorted(
        f"行政复议 · {c}" for c in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    )
    # "现行有效规范性文件11份" against 表二 现行有效件数 14.
    [mismatch] = by_code["E-FACT-CELL"]
    assert "11" in mismatch.message and "14" in mismatch.message
    assert mismatch.location.row == "management.normative_in_force"
    # 350000 is Fuzhou's postal code; Quanzhou's start with 362.
    [postcode] = by_code["W-CONTACT-POSTCODE"]
    assert "362" in postcode.message and "福州" in postcode.message


def test_the_raw_transcription_reports_the_missing_rules_row():
    raw = ROOT / "tests" / "fixtures" / "real" / "quanzhou-kj-2023.yaml"
    blanks = {f.location.path for f in check(load_stats(raw)) if f.code == "E-CELL-BLANK"}
    assert {
        "proactive.rules.issued",
        "proactive.rules.repealed",
        "proactive.rules.in_force",
    } <= blanks


# Hand-broken copies: (text to replace, replacement, expected code, expected row label, column).
BREAKS = [
    (
        "not_held:                 {natural_person: 1,",
        "not_held:                 {natural_person: 2,",
        "E-SUM-ROW",
        "三、本年度办理结果 · （四）无法提供 · 1.本机关不掌握相关政府信息",
        "申请人情况 · 总计",
    ),
    (
        "legal_service: 0, other: 0, total: 1}\n  carried_over:",
        "legal_service: 0, other: 0, total: 3}\n  carried_over:",
        "E-SUM-ROW",
        "一、本年新收政府信息公开申请数量",
        "申请人情况 · 总计",
    ),
    (
        "    total: {natural_person: 1,",
        "    total: {natural_person: 0,",
        "E-SUM-OUTCOME",
        "三、本年度办理结果 · （七）总计",
        "申请人情况 · 自然人",
    ),
    (
        "duplicate:          {natural_person: 0,",
        "duplicate:          {natural_person: null,",
        "E-CELL-BLANK",
        "三、本年度办理结果 · （五）不予处理 · 2.重复申请",
        "申请人情况 · 自然人",
    ),
    (
        "litigation_direct:       {upheld: 0, corrected: 0, other: 0, pending: 0, total: 0}",
        "litigation_direct:       {upheld: 0, corrected: 1, other: 0, pending: 0, total: 0}",
        "E-SUM-REVIEW",
        None,
        "行政诉讼 · 未经复议直接起诉 · 总计",
    ),
    (
        "processing_fees: {notices: 0, notified_yuan: 0, collected_yuan: 0}",
        "processing_fees: {notices: 0, notified_yuan: 200, collected_yuan: 0}",
        "E-FEE-WITHOUT-NOTICE",
        "信息处理费收取情况",
        "通知收取金额（元）",
    ),
]


@pytest.mark.parametrize(("old", "new", "code", "row", "column"), BREAKS)
def test_hand_broken_copies_report_the_cell_by_its_official_label(
    tmp_path: Path, old, new, code, row, column
):
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    broken = tmp_path / "stats.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    found = [f for f in check(load_stats(broken)) if f.code == code]
    assert found, code
    assert any(f.location.row == row and f.location.column == column for f in found), [
        (f.location.row, f.location.column) for f in found
    ]
    line = text[: text.index(old)].count("\n") + 1
    assert any(f.location.line == line for f in found)
