"""One test per finding code: the smallest input that breaks the rule, and one that keeps it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import base_data, codes, findings_for, load_data, row, set_in

from drafter.checking.checks import check, rulemaking_power
from drafter.checking.findings import CODES, Severity
from drafter.statistics.stats import DocumentCounts, Stats


def test_base_report_is_clean(base):
    assert findings_for(base) == []


# ---- table 三 -----------------------------------------------------------------------------


def test_E_SUM_BALANCE_first_plus_second_must_equal_third_plus_fourth(base):
    # One more commercial application received, with its row total kept consistent.
    broken = set_in(base, "applications.new_received", row(natural_person=2, commercial=2))
    found = findings_for(broken)
    balance = [f for f in found if f.code == "E-SUM-BALANCE"]
    assert len(balance) == 1
    assert balance[0].location.column.endswith("商业企业")
    assert "2" in balance[0].message and "1" in balance[0].message
    assert balance[0].severity is Severity.ERROR


def test_E_SUM_BALANCE_holds_when_carried_forward_takes_the_difference(base):
    fixed = set_in(base, "applications.new_received", row(natural_person=2, commercial=2))
    fixed = set_in(fixed, "applications.carried_forward", row(natural_person=1, commercial=1))
    assert "E-SUM-BALANCE" not in codes(findings_for(fixed))


def test_E_SUM_OUTCOME_total_row_must_equal_the_22_outcome_rows(base):
    broken = set_in(base, "applications.results.total", row(natural_person=3, commercial=1))
    found = [f for f in findings_for(broken) if f.code == "E-SUM-OUTCOME"]
    assert len(found) == 1
    assert found[0].location.path == "applications.results.total.natural_person"
    assert found[0].location.row.endswith("（七）总计")
    assert "3" in found[0].message and "2" in found[0].message


def test_E_SUM_OUTCOME_not_checked_when_total_row_is_derived(base):
    data = set_in(base, "applications.results.total", None)
    del data["applications"]["results"]["total"]
    assert findings_for(data) == []


def test_E_SUM_ROW_row_total_must_equal_its_applicant_cells(base):
    bad = row(natural_person=1)
    bad["total"] = 2
    broken = set_in(base, "applications.results.withheld.third_party_rights", bad)
    found = [f for f in findings_for(broken) if f.code == "E-SUM-ROW"]
    assert len(found) == 1
    where = found[0].location
    assert where.path == "applications.results.withheld.third_party_rights.total"
    assert where.row == "三、本年度办理结果 · （三）不予公开 · 4.保护第三方合法权益"
    assert where.table == "表三"


def test_E_SUM_ROW_derived_total_is_not_an_error(base):
    data = base_data()
    del data["applications"]["new_received"]["total"]
    assert findings_for(data) == []


def test_E_SUM_TOTAL_COLUMN_localises_a_wrong_total_cell(base):
    # Only the 总计 of 一、本年新收 is wrong: the row rule and the total-column rule both point
    # at it, and no applicant column is blamed.
    bad = row(natural_person=2, commercial=1)
    bad["total"] = 4
    broken = set_in(base, "applications.new_received", bad)
    found = findings_for(broken)
    assert sorted(codes(found)) == ["E-SUM-ROW", "E-SUM-TOTAL-COLUMN"]
    total_col = next(f for f in found if f.code == "E-SUM-TOTAL-COLUMN")
    assert total_col.location.column.endswith("总计")


def test_E_SUM_TOTAL_COLUMN_outcome_identity_in_total_column(base):
    bad = row(natural_person=2, commercial=1)
    bad["total"] = 5
    broken = set_in(base, "applications.results.total", bad)
    found = findings_for(broken)
    assert "E-SUM-TOTAL-COLUMN" in codes(found)
    assert "E-SUM-OUTCOME" not in codes(found)  # the applicant columns are right


def test_E_SUM_TOTAL_COLUMN_silent_when_applicant_columns_explain_it(base):
    broken = set_in(base, "applications.new_received", row(natural_person=2, commercial=2))
    assert "E-SUM-TOTAL-COLUMN" not in codes(findings_for(broken))


def test_E_CELL_BLANK_in_table_three(base):
    broken = set_in(base, "applications.results.unavailable.not_held", {"natural_person": None})
    found = [f for f in findings_for(broken) if f.code == "E-CELL-BLANK"]
    assert len(found) == 1
    assert found[0].location.path == "applications.results.unavailable.not_held.natural_person"
    assert found[0].location.row.endswith("1.本机关不掌握相关政府信息")
    assert found[0].location.column.endswith("自然人")


def test_E_CELL_BLANK_does_not_cascade_into_sums(base):
    broken = set_in(base, "applications.new_received.commercial", None)
    broken["applications"]["new_received"].pop("total")
    assert codes(findings_for(broken)) == ["E-CELL-BLANK"]


def test_E_CELL_BLANK_in_table_four_and_two_and_fees(base):
    broken = set_in(base, "review_litigation.review.pending", None)
    broken = set_in(broken, "proactive.licensing", None)
    broken = set_in(broken, "processing_fees.collected_yuan", None)
    found = [f for f in findings_for(broken) if f.code == "E-CELL-BLANK"]
    assert {f.location.path for f in found} == {
        "review_litigation.review.pending",
        "proactive.licensing",
        "processing_fees.collected_yuan",
    }
    by_path = {f.location.path: f.location for f in found}
    assert by_path["review_litigation.review.pending"].column == "行政复议 · 尚未审结"
    assert by_path["proactive.licensing"].row == "行政许可"
    assert by_path["processing_fees.collected_yuan"].column == "实际收取金额（元）"


def test_E_CELL_VALUE_for_values_that_bypassed_validation(base):
    stats = Stats.model_validate(base)
    stats.proactive.normative_documents = DocumentCounts.model_construct(
        issued=-1, repealed=0, in_force=10
    )
    found = [f for f in check(stats) if f.code == "E-CELL-VALUE"]
    assert [f.location.path for f in found] == ["proactive.normative_documents.issued"]


# ---- table 四 -------------------------------------------------------------------------------


def test_E_SUM_REVIEW_total_must_equal_its_four_results(base):
    broken = set_in(
        base,
        "review_litigation.litigation_direct",
        {"upheld": 1, "corrected": 1, "other": 0, "pending": 0, "total": 1},
    )
    found = [f for f in findings_for(broken) if f.code == "E-SUM-REVIEW"]
    assert len(found) == 1
    assert found[0].location.column == "行政诉讼 · 未经复议直接起诉 · 总计"
    assert "1" in found[0].message and "2" in found[0].message


def test_E_SUM_REVIEW_holds_for_consistent_blocks(base):
    fixed = set_in(
        base,
        "review_litigation.litigation_direct",
        {"upheld": 1, "corrected": 1, "other": 0, "pending": 0, "total": 2},
    )
    assert findings_for(fixed) == []


# ---- table 二 -------------------------------------------------------------------------------


def test_W_RULES_NO_POWER_for_a_district_bureau(base):
    broken = set_in(base, "proactive.rules", {"issued": 1, "repealed": 0, "in_force": 1})
    found = findings_for(broken)
    assert codes(found) == ["W-RULES-NO-POWER"]
    assert found[0].severity is Severity.WARNING
    assert found[0].location.row == "规章"


def test_W_RULES_NO_POWER_not_for_a_provincial_government(base):
    data = set_in(base, "proactive.rules", {"issued": 1, "repealed": 0, "in_force": 1})
    data["agency"] = "福建省人民政府"
    assert findings_for(data) == []


def test_W_RULES_NO_POWER_respects_the_stated_power(base):
    data = set_in(base, "proactive.rules", {"issued": 1, "repealed": 0, "in_force": 1})
    data["profile"] = {"rulemaking_power": True}
    assert findings_for(data) == []


@pytest.mark.parametrize(
    ("agency", "power"),
    [
        ("福建省人民政府", True),
        ("新疆维吾尔自治区人民政府", True),
        ("上海市人民政府", True),
        ("泉州市人民政府", None),  # 设区的市 or county-level city: cannot tell from the name
        ("晋江市人民政府", None),
        ("泉州市丰泽区人民政府", False),
        ("某某县人民政府", False),
        ("某某镇人民政府", False),
        ("某某街道办事处", False),
        ("泉州市科学技术局", False),
        ("中华人民共和国生态环境部", None),
    ],
)
def test_rulemaking_power_is_inferred_from_the_name(base, agency, power):
    data = dict(base, agency=agency)
    from conftest import load_data

    assert rulemaking_power(load_data(data)) is power


def test_W_STOCK_BELOW_ISSUED(base):
    broken = set_in(
        base, "proactive.normative_documents", {"issued": 3, "repealed": 0, "in_force": 2}
    )
    found = findings_for(broken)
    assert codes(found) == ["W-STOCK-BELOW-ISSUED"]
    assert found[0].location.column == "现行有效件数"
    assert found[0].location.row == "行政规范性文件"


def test_W_STOCK_BELOW_ISSUED_not_when_stock_covers_issued(base):
    fixed = set_in(
        base, "proactive.normative_documents", {"issued": 3, "repealed": 0, "in_force": 3}
    )
    assert findings_for(fixed) == []


def test_W_FORMAT_YEAR_for_a_2020_report_in_the_2021_format(base):
    assert codes(findings_for(dict(base, year=2020))) == ["W-FORMAT-YEAR"]
    assert findings_for(dict(base, year=2021)) == []


# ---- 信息处理费 --------------------------------------------------------------------------------


def fees(data, notices, notified, collected):
    return set_in(
        data,
        "processing_fees",
        {"notices": notices, "notified_yuan": notified, "collected_yuan": collected},
    )


def test_E_FEE_WITHOUT_NOTICE(base):
    found = findings_for(fees(base, 0, 100, 0))
    assert codes(found) == ["E-FEE-WITHOUT-NOTICE"]
    assert found[0].location.column == "通知收取金额（元）"
    assert findings_for(fees(base, 1, 100, 100)) == []


def test_W_FEE_COLLECTED_OVER(base):
    assert codes(findings_for(fees(base, 1, 100, 200))) == ["W-FEE-COLLECTED-OVER"]
    assert findings_for(fees(base, 2, 200, 100)) == []


def test_W_FEE_NOT_TENS(base):
    found = findings_for(fees(base, 1, Decimal("105.50"), Decimal("105.50")))
    assert codes(found) == ["W-FEE-NOT-TENS", "W-FEE-NOT-TENS"]
    assert findings_for(fees(base, 1, 110, 110)) == []


def test_W_FEE_UNPAID_OVER(base):
    data = set_in(base, "applications.results.other.fee_unpaid", row(natural_person=1))
    data = set_in(data, "applications.results.withheld.third_party_rights", row())
    assert codes(findings_for(data)) == ["W-FEE-UNPAID-OVER"]
    assert findings_for(fees(data, 1, 100, 0)) == []


def test_A_FEE_UNITS_same_number_in_wan_yuan_and_yuan(base):
    data = fees(set_in(base, "proactive.admin_fees_10k_yuan", 120), 2, 120, 120)
    found = findings_for(data)
    assert codes(found) == ["A-FEE-UNITS"]
    assert found[0].severity is Severity.ADVICE
    consistent = fees(set_in(base, "proactive.admin_fees_10k_yuan", Decimal("0.012")), 2, 120, 120)
    assert findings_for(consistent) == []


# ---- cross-year --------------------------------------------------------------------------------


def last_year(data):
    previous = base_data()
    previous["year"] = data["year"] - 1
    previous["proactive"]["normative_documents"] = {"issued": 1, "repealed": 0, "in_force": 9}
    return previous


def test_previous_year_consistent(base):
    assert findings_for(base, last_year(base)) == []


def test_E_CARRY_OVER(base):
    previous = last_year(base)
    previous["applications"]["carried_forward"] = row(natural_person=2)
    found = findings_for(base, previous)
    assert sorted(codes(found)) == ["E-CARRY-OVER", "E-CARRY-OVER"]
    assert {f.location.path for f in found} == {
        "applications.carried_over.natural_person",
        "applications.carried_over.total",
    }


def test_W_CARRY_OVER_SCOPE_when_the_change_is_explained(base):
    previous = last_year(base)
    previous["applications"]["carried_forward"] = row(natural_person=2)
    data = dict(base, scope_change="2023年3月机构改革，原某某局职责划入本局")
    found = findings_for(data, previous)
    assert set(codes(found)) == {"W-CARRY-OVER-SCOPE"}
    assert "机构改革" in found[0].message


def test_W_STOCK_DRIFT_shows_the_residual(base):
    previous = last_year(base)
    previous["proactive"]["normative_documents"]["in_force"] = 5  # 5 + 2 - 1 = 6, not 10
    found = findings_for(base, previous)
    assert codes(found) == ["W-STOCK-DRIFT"]
    assert "+4" in found[0].message and "6" in found[0].message


def test_A_STOCK_DRIFT_for_a_small_residual(base):
    data = set_in(
        base, "proactive.normative_documents", {"issued": 2, "repealed": 1, "in_force": 100}
    )
    previous = last_year(base)
    previous["proactive"]["normative_documents"]["in_force"] = 98  # expected 99, got 100
    found = findings_for(data, previous)
    assert codes(found) == ["A-STOCK-DRIFT"]
    assert "+1" in found[0].message


def test_W_RULES_NO_POWER_PREV(base):
    data = set_in(base, "proactive.rules", {"issued": 1, "repealed": 0, "in_force": 1})
    data["agency"] = "某某市人民政府"  # power unknown: T2-2 stays silent, X-3 speaks
    found = findings_for(data, last_year(base) | {"agency": "某某市人民政府"})
    assert "W-RULES-NO-POWER-PREV" in codes(found)
    data["profile"] = {"rulemaking_power": True}
    assert "W-RULES-NO-POWER-PREV" not in codes(findings_for(data, last_year(base)))


def test_W_PREV_YEAR(base):
    previous = last_year(base)
    previous["year"] = 2021
    assert "W-PREV-YEAR" in codes(findings_for(base, previous))


# ---- facts ---------------------------------------------------------------------------------------


def fact(id, value, unit="条", section="overall.proactive", **extra):
    return {
        "id": id,
        "label": f"标签{id}",
        "value": value,
        "unit": unit,
        "section": section,
        **extra,
    }


def test_E_FACT_PARTS(base):
    data = dict(
        base,
        facts=[
            fact("items", 143, parts=["items.a", "items.b"]),
            fact("items.a", 100),
            fact("items.b", 42),
        ],
    )
    found = findings_for(data)
    assert codes(found) == ["E-FACT-PARTS"]
    assert "143" in found[0].message and "142" in found[0].message
    assert found[0].location.line is not None
    data["facts"][2]["value"] = 43
    assert findings_for(data) == []


def test_E_FACT_PARTS_skipped_for_approximate_totals(base):
    data = dict(
        base,
        facts=[
            fact("items", 800, approx="多", parts=["items.a", "items.b"]),
            fact("items.a", 500),
            fact("items.b", 345),
        ],
    )
    assert findings_for(data) == []


def test_E_FACT_CELL_narrative_fact_against_table(base):
    data = dict(
        base, facts=[fact("docs", 11, unit="份", cell="proactive.normative_documents.in_force")]
    )
    found = findings_for(data)
    assert codes(found) == ["E-FACT-CELL"]
    assert "11" in found[0].message and "10" in found[0].message
    assert "现行有效件数" in found[0].message
    data["facts"][0]["value"] = 10
    assert findings_for(data) == []


def test_E_FACT_CELL_approximate_fact_must_contain_the_cell(base):
    ok = dict(base, facts=[fact("lic", 5, unit="件", approx="近", cell="proactive.licensing")])
    assert findings_for(ok) == []
    bad = dict(base, facts=[fact("lic", 5, unit="件", approx="多", cell="proactive.licensing")])
    assert codes(findings_for(bad)) == ["E-FACT-CELL"]


def test_E_FACT_REF_unknown_part_and_unknown_cell(base):
    data = dict(
        base,
        facts=[
            fact("items", 3, parts=["items.a", "items.missing"]),
            fact("items.a", 3),
            fact("docs", 10, cell="proactive.normative_documents.in_forse"),
        ],
    )
    found = findings_for(data)
    assert codes(found) == ["E-FACT-REF", "E-FACT-REF"]
    assert "items.missing" in found[0].message
    assert "in_forse" in found[1].message


def test_E_FACT_CYCLE(base):
    data = dict(base, facts=[fact("a", 1, parts=["b"]), fact("b", 1, parts=["a"])])
    assert codes(findings_for(data)) == ["E-FACT-CYCLE", "E-FACT-CYCLE"]
    data = dict(base, facts=[fact("a", 1, parts=["b"]), fact("b", 1)])
    assert findings_for(data) == []


def test_W_FACT_PART_UNIT(base):
    data = dict(
        base,
        facts=[
            fact("npc", 15, unit="件", parts=["npc.a", "npc.b"]),
            fact("npc.a", 4, unit="件"),
            fact("npc.b", 11, unit="条"),
        ],
    )
    assert codes(findings_for(data)) == ["W-FACT-PART-UNIT"]


def test_E_NOTE_REF(base):
    data = dict(
        base,
        facts=[fact("items", 3)],
        notes={
            "overall.proactive": ["公开信息{items}，收到申请{@applications.new_received}"],
            "overall.platforms": "发布{platform.items}",
        },
    )
    found = findings_for(data)
    assert codes(found) == ["E-NOTE-REF"]
    assert "platform.items" in found[0].message
    assert found[0].location.path == "notes.overall.platforms"
    assert found[0].location.line is not None


# ---- the registry itself -----------------------------------------------------------------------


def test_every_code_has_a_test():
    """Each code is asserted somewhere in the suite (the statistics rules by a test named
    after the code, in this module)."""
    import sys
    from pathlib import Path

    names = [n for n in dir(sys.modules[__name__]) if n.startswith("test_")]
    suite = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    for code in CODES:
        named = any(code.replace("-", "_") in n for n in names)
        assert named or f'"{code}"' in suite, f"no test for {code}"


def test_every_code_has_a_known_severity_prefix_and_a_rule():
    for code in CODES.values():
        assert code.code[0] == {"error": "E", "warning": "W", "advice": "A"}[code.severity.value]
        assert code.rules and code.title


def test_findings_are_sorted_errors_first(base):
    data = set_in(base, "proactive.rules", {"issued": 1, "repealed": 0, "in_force": 1})
    data = set_in(data, "review_litigation.review.total", 3)
    severities = [f.severity for f in findings_for(data)]
    assert severities == [Severity.ERROR, Severity.WARNING]


# ---- contact block ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agency", "address", "code", "ok"),
    [
        ("泉州市科学技术局", "泉州市丰泽区东海街道", "350000", False),  # the seed: a Fuzhou code
        ("泉州市科学技术局", "泉州市丰泽区东海街道", "362000", True),
        ("福建省科学技术厅", "福州市鼓楼区", "350003", True),
        ("福建省科学技术厅", None, "100000", False),  # province only: a Beijing code
        ("某某局", None, "362000", True),  # no place named: nothing to compare
        ("泉州市科学技术局", None, "36200", False),  # not six digits
    ],
)
def test_W_CONTACT_POSTCODE(base, agency, address, code, ok):
    data = dict(base, agency=agency, contact={"address": address, "postal_code": code})
    found = findings_for(data)
    assert codes(found) == ([] if ok else ["W-CONTACT-POSTCODE"])
    if not ok:
        assert found[0].location.path == "contact.postal_code"


# ---- text left from a template ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("agency", "请填写发布机关全称"),
        ("publication.site", "XX市人民政府门户网站"),
        ("contact.phone", "0000-00000000"),
        ("cover_letter.recipient", "待补充"),
    ],
)
def test_template_text_left_in_the_statistics_is_an_error(path, value):
    findings = findings_for(set_in(base_data(), path, value))
    template = [f for f in findings if f.code == "E-STATS-TEMPLATE"]
    assert len(template) == 1 and template[0].location.path == path
    assert value in template[0].message
    assert "E-STATS-TEMPLATE" not in codes(
        findings_for(set_in(base_data(), path, "泉州市科学技术局"))
    )


def test_statistics_still_all_zero_are_a_warning():
    data = base_data()
    assert "W-STATS-EMPTY" not in codes(findings_for(data))
    from drafter.checking.checks import check
    from drafter.statistics.load import stats_from_data
    from drafter.statistics.template import render_template
    from drafter.yamlsource import parse_yaml

    text = render_template("某某区统计局", 2024, "gov-info-disclosure-2021")
    stats = stats_from_data(*parse_yaml(text, "stats.yaml"), "stats.yaml")
    found = codes(check(stats))
    assert found == ["W-STATS-EMPTY"]  # a warning: the template itself still checks (exit 0)


@pytest.mark.parametrize("written", ["2024-01-15", "2024/1/15", "2024.01.15", "2024年1月15日"])
def test_a_cover_letters_date_is_read_in_the_official_form(written):
    stats = load_data(set_in(base_data(), "cover_letter", {"recipient": "某办", "date": written}))
    assert stats.cover_letter.date == "2024年1月15日"


def test_an_impossible_cover_letter_date_is_an_input_error():
    from drafter.errors import InputError

    with pytest.raises(InputError) as caught:
        load_data(set_in(base_data(), "cover_letter", {"recipient": "某办", "date": "2024-02-30"}))
    assert "不是有效的日期" in str(caught.value)
    assert str(caught.value).count("2024-02-30") == 1  # said once


@pytest.mark.parametrize("written", ["下周一", "2024年1月", "1月15日", "二〇二四年一月十五日"])
def test_a_cover_letter_date_that_is_not_a_date_is_an_input_error(written):
    from drafter.errors import InputError

    with pytest.raises(InputError) as caught:
        load_data(set_in(base_data(), "cover_letter", {"recipient": "某办", "date": written}))
    assert "成文日期应写成“2024年1月15日”" in str(caught.value)
    assert caught.value.problems[0].code == "E-STATS-VALUE"
