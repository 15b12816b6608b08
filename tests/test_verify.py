"""Numbers in prose against the statistics: each outcome of drafter/verification/verify.py."""

from __future__ import annotations

import pytest
from conftest import SAMPLE, base_data, load_data, set_in

from drafter.checking.findings import Location, Severity
from drafter.drafting.draft import draft_report
from drafter.formats import load_layout
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import quantities
from drafter.verification.verify import Verifier, verify_report


def facts(*items):
    return [
        {
            "id": i,
            "label": label,
            "value": value,
            "unit": unit,
            "section": "overall.proactive",
            **extra,
        }
        for i, label, value, unit, extra in items
    ]


def verify_text(text: str, data=None, previous=None):
    stats = load_data(data or base_data())
    layout = load_layout(stats.format)
    last = load_data(previous) if previous is not None else None
    verifier = Verifier(stats, layout, quantities(stats, layout), last)
    return verifier.paragraph(text, Location(section="（二）依申请公开", paragraph=1))


def codes(findings):
    return [f.code for f in findings]


# The base statistics: 新收 3 (自然人 2, 法人 1), 上年结转 1, 办结 3 (予以公开 2, 不予公开 1),
# 结转 1; 复议 2 (维持 1, 尚未审结 1); 规范性文件 制发 2 废止 1 现行有效 10; 许可 5, 处罚 1.


@pytest.mark.parametrize(
    "text",
    [
        "本年度共收到政府信息公开申请3件，其中自然人申请2件，法人或其他组织申请1件。",
        "另有上年结转的申请1件。全年办结3件，其中予以公开2件、不予公开1件。",
        "受理依申请公开事项3件。",
        "结转下年度继续办理1件。",
        "本年度制发行政规范性文件2件，废止1件，截至年底现行有效行政规范性文件10件。",
        "全年作出行政许可决定5件、行政处罚决定1件。",
        "被申请行政复议2件，其中结果维持1件，尚未审结1件。",
        "收到申请三件。",
    ],
)
def test_correct_statements_are_verified(text):
    assert verify_text(text) == []


def test_context_names_a_source_whose_value_differs():
    [finding] = verify_text("受理政府信息公开申请2件。")
    assert finding.code == "E-NUM-MISMATCH" and finding.severity is Severity.ERROR
    assert "3件" in finding.message and "本年新收" in finding.message
    assert finding.location.text == "2件" and finding.location.paragraph == 1
    assert finding.location.sentence == "受理政府信息公开申请2件。"


def test_normative_documents_in_force_against_table_two():
    [finding] = verify_text("集中发布现行有效规范性文件11份。")
    assert finding.code == "E-NUM-MISMATCH" and "10件" in finding.message


def test_a_fact_cannot_overrule_table_two():
    data = dict(base_data(), facts=facts(("docs", "集中发布的现行有效规范性文件", 11, "份", {})))
    assert codes(verify_text("集中发布现行有效规范性文件11份。", data)) == ["E-NUM-MISMATCH"]


def test_same_value_different_concept_is_a_warning_not_a_pass():
    # 政策性文件 is not 行政规范性文件; 群众留言 are not 政府信息公开申请.
    assert codes(verify_text("全年制发政策性文件10件。")) == ["W-NUM-UNSURE"]
    assert codes(verify_text("收到群众留言3件。")) == ["W-NUM-UNSURE"]


def test_number_with_no_source():
    [finding] = verify_text("全年开展培训17次。")
    assert finding.code == "E-NUM-UNKNOWN" and "17次" in finding.message


def test_facts_are_sources_by_their_labels():
    data = dict(
        base_data(),
        facts=facts(
            ("interviews", "在线访谈", 5, "期", {}),
            ("surveys", "网上调查", 4, "次", {}),
            ("items", "公开政府信息", 143, "条", {"parts": ["items.a", "items.b"]}),
            ("items.a", "法规规章类信息", 100, "条", {}),
            ("items.b", "其他信息", 43, "条", {}),
        ),
    )
    assert verify_text("全年发布在线访谈5期，网上调查4次。", data) == []
    assert verify_text("公开政府信息143条，其中法规规章类信息100条、其他信息43条。", data) == []
    assert codes(verify_text("全年发布在线访谈6期。", data)) == ["E-NUM-MISMATCH"]
    assert codes(verify_text("公开政府信息143条，其中法规规章类信息43条。", data)) == [
        "E-NUM-MISMATCH"
    ]


def test_units_must_agree():
    data = dict(base_data(), facts=facts(("items", "公开政府信息", 143, "条", {})))
    assert codes(verify_text("公开政府信息143件。", data)) == ["E-NUM-UNIT"]


def test_approximate_forms():
    data = dict(
        base_data(),
        facts=facts(
            ("web", "在网站发布各类信息", 790, "条", {}),
            ("site", "在公众号发布信息", 800, "条", {"approx": "多"}),
        ),
    )
    assert verify_text("在网站发布各类信息700多条。", data) == []
    assert codes(verify_text("在网站发布各类信息800多条。", data)) == ["E-NUM-APPROX"]
    assert verify_text("在公众号发布信息800多条。", data) == []
    assert codes(verify_text("在公众号发布信息900多条。", data)) == ["E-NUM-APPROX"]
    assert verify_text("共收到政府信息公开申请近3件。") == []


def test_approximate_forms_with_the_same_meaning_agree():
    data = dict(
        base_data(), facts=facts(("site", "在网站发布各类信息", 800, "条", {"approx": "多"}))
    )
    for same in ("800余条", "超过800条", "逾800条", "800条以上"):
        assert verify_text(f"在网站发布各类信息{same}。", data) == [], same
    for other in ("近800条", "约800条", "900多条"):
        assert codes(verify_text(f"在网站发布各类信息{other}。", data)) == ["E-NUM-APPROX"], other


def test_a_rate_above_one_hundred_percent_is_an_error():
    data = dict(
        base_data(),
        facts=facts(("p", "发布政策", 24, "条", {}), ("i", "政策解读", 25, "条", {})),
    )
    found = verify_text("发布政策24条、政策解读25条，政策解读覆盖率达104.2%。", data)
    assert codes(found) == ["E-NUM-PERCENT"] and "不能超过100%" in found[0].message
    growth = verify_text("发布政策24条，同比增长150%。", data, base_data())
    assert "E-NUM-PERCENT" not in codes(growth)  # a growth may exceed 100%


def test_chinese_numerals_are_checked_like_digits():
    assert codes(verify_text("受理政府信息公开申请十五件。")) == ["E-NUM-MISMATCH"]


def test_percentages_of_a_stated_part():
    data = set_in(
        base_data(),
        "applications.results.disclosed",
        {"natural_person": 1, "commercial": 1, "total": 2},
    )
    assert verify_text("予以公开2件，占办结总数的66.7%。", data) == []
    [finding] = verify_text("予以公开2件，占办结总数的60%。", data)
    assert finding.code == "E-NUM-PERCENT" and "67%" in finding.message


def test_a_percentage_with_its_base_written_out():
    # base data: 予以公开 2 of 3 closed
    assert verify_text("予以公开2件，占办结数3件的66.7%。") == []
    [finding] = verify_text("予以公开2件，占办结数3件的60.0%。")
    assert finding.code == "E-NUM-PERCENT" and "66.7%" in finding.message
    # the digits written count: 66.0% is not 66.67%
    assert codes(verify_text("予以公开2件，占办结数3件的66.0%。")) == ["E-NUM-PERCENT"]


def test_a_percentage_whose_part_is_named_not_numbered():
    assert verify_text("予以公开和部分公开占办结数的66.7%。") == []
    [finding] = verify_text("予以公开和部分公开占办结数的50%。")
    assert finding.code == "E-NUM-PERCENT" and "67%" in finding.message


def test_total_of_new_and_carried_over_applications():
    # 3 new + 1 carried over
    assert verify_text("本年新收申请与上年结转申请合计4件。") == []
    assert codes(verify_text("本年新收申请与上年结转申请合计5件。")) == ["E-NUM-MISMATCH"]
    assert verify_text("本年新收申请3件，与上年结转的1件一并办理。") == []


def test_hotlines_and_time_limits_are_not_statistics():
    assert verify_text("通过12369环保举报热线和12345热线受理群众咨询。") == []
    assert verify_text("另有1件尚在20个工作日答复期限内，结转下年度继续办理。") == []


def test_sub_item_stated_as_group_total():
    # 不予公开 is the sum of its eight rows; one row stated as the group is an error.
    data = set_in(
        base_data(),
        "applications.results.withheld",
        {
            "third_party_rights": {"natural_person": 1, "total": 1},
            "process_information": {"commercial": 1, "total": 1},
        },
    )
    data = set_in(data, "applications.results.disclosed", {"natural_person": 1, "total": 1})
    assert verify_text("不予公开2件。", data) == []
    assert codes(verify_text("不予公开1件。", data)) == ["E-NUM-MISMATCH"]


def test_uphold_claims_against_table_four():
    [finding] = verify_text("被申请行政复议2件，均获维持。")
    assert finding.code == "E-CLAIM-UPHELD" and "尚未审结 1" in finding.message
    fixed = set_in(
        base_data(),
        "review_litigation.review",
        {"upheld": 2, "corrected": 0, "other": 0, "pending": 0, "total": 2},
    )
    assert verify_text("被申请行政复议2件，均获维持。", fixed) == []


def test_none_claims_against_the_tables():
    assert codes(verify_text("本年度未收到政府信息公开申请。")) == ["E-CLAIM-NONE"]
    assert codes(verify_text("本年度未发生行政复议案件。")) == ["E-CLAIM-NONE"]
    assert verify_text("本年度未发生行政诉讼案件。") == []


def test_year_on_year_changes_need_last_year():
    [finding] = verify_text("收到申请3件，同比增长50%。")
    assert finding.code == "A-NUM-YOY" and finding.severity is Severity.ADVICE
    last = dict(base_data(), year=2022)
    last = set_in(last, "applications.new_received", {"natural_person": 2, "total": 2})
    assert verify_text("共收到政府信息公开申请3件，同比增长50%。", previous=last) == []
    assert codes(verify_text("共收到政府信息公开申请3件，同比增长40%。", previous=last)) == [
        "A-NUM-YOY"
    ]


def test_not_statistics_are_never_flagged():
    text = (
        "根据《条例》第二十条和国办公开办函〔2021〕30号，本报告统计期限自2023年1月1日起至2023年"
        "12月31日止，电话0595-22579359，落实“三审”要求，一是加强领导，二是完善制度。"
    )
    assert verify_text(text) == []


def test_the_sample_draft_reports_the_seed_contradiction_and_nothing_else():
    stats = load_stats(SAMPLE)
    findings = verify_report(draft_report(stats), stats)
    assert [(f.code, f.location.text) for f in findings] == [("E-NUM-MISMATCH", "11份")]
    assert "14件" in findings[0].message
