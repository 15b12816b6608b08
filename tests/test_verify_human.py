"""Numbers in prose written by people, not by drafter: the shapes real reports use.

Each kind of sentence is checked both ways: the right number verifies, the same number
plus one is reported. The statistics below are one city government's: 新收 215 (自然人 214,
商业企业 1), 上年结转 3 (自然人), so 收办 218 (自然人 217); 办结 218, of which 予以公开 71
and 部分公开 29 (公开率 100 ÷ 218 = 45.9%).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLE, load_data

from drafter.checking.findings import Location, Severity
from drafter.drafting.draft import draft_report
from drafter.formats import load_layout
from drafter.read.document import read_document
from drafter.render.markdown import render_markdown
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import quantities
from drafter.verification.verify import Verifier, verify_report

SEED = Path(__file__).parent / "fixtures" / "real" / "quanzhou-kj-2023.txt"


def fact(id_: str, label: str, value: int, unit: str, **extra) -> dict:
    return {"id": id_, "label": label, "value": value, "unit": unit, "section": "other", **extra}


DATA = {
    "format": "gov-info-disclosure-2021",
    "agency": "青川市人民政府",
    "year": 2024,
    "proactive": {
        "rules": {"issued": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"issued": 6, "repealed": 2, "in_force": 41},
        "licensing": 3120,
        "penalty": 486,
        "enforcement": 37,
        "admin_fees_10k_yuan": 0,
    },
    "applications": {
        "new_received": {"natural_person": 214, "commercial": 1},
        "carried_over": {"natural_person": 3},
        "results": {
            "disclosed": {"natural_person": 70, "commercial": 1},
            "partially_disclosed": {"natural_person": 29},
            "withheld": {"third_party_rights": {"natural_person": 10}},
            "unavailable": {"not_held": {"natural_person": 60}},
            "not_processed": {"complaints": {"natural_person": 20}},
            "other": {"no_correction": {"natural_person": 28}},
        },
        "carried_forward": {},
    },
    "review_litigation": {
        "review": {"upheld": 3, "corrected": 1},
        "litigation_direct": {"upheld": 2},
        "litigation_after_review": {},
    },
    "processing_fees": {"notices": 3, "notified_yuan": 1200, "collected_yuan": 1200},
    "facts": [
        fact("qa", "开展政策问答", 36, "期", parts=["qa.city", "qa.a", "qa.b"]),
        fact("qa.city", "政策问答 市本级", 12, "期"),
        fact("qa.a", "政策问答 甲区", 10, "期"),
        fact("qa.b", "政策问答 乙县", 14, "期"),
        fact("filing", "备案审查行政复议案件", 56, "件"),
        fact("web", "在网站发布各类信息", 800, "条", approx="多"),
        fact("wx.issues", "在微信公众号发布各类信息（期数）", 145, "期"),
        fact("wx.items", "在微信公众号发布各类信息（条数）", 752, "条"),
        fact("center", "镇便民中心使用省一体化政务服务平台办理业务办件", 1838, "件"),
    ],
}


def verify(text: str, data: dict | None = None) -> list:
    stats = load_data(data or DATA)
    layout = load_layout(stats.format)
    verifier = Verifier(stats, layout, quantities(stats, layout))
    where = Location(section="（二）依申请公开", paragraph=1)
    return [f for f in verifier.paragraph(text, where) if f.severity is not Severity.ADVICE]


def flagged(text: str, number: str, data: dict | None = None) -> list[str]:
    """The codes of the findings on one number of the text."""
    return [f.code for f in verify(text, data) if f.location.text == number]


def plus_one(text: str, number: str) -> str:
    digits = re.search(r"[0-9]+(?:\.[0-9]+)?", number).group(0)  # type: ignore[union-attr]
    bigger = str(round(float(digits) + 1, 1)) if "." in digits else str(int(digits) + 1)
    return text.replace(number, number.replace(digits, bigger), 1), number.replace(digits, bigger)


def both_ways(text: str, number: str, expected: str = "E-NUM-MISMATCH") -> None:
    assert verify(text) == [], verify(text)
    mutated, wrong = plus_one(text, number)
    assert expected in flagged(mutated, wrong), verify(mutated)


# ---- enumerations: "、" or "，" ---------------------------------------------------------------


@pytest.mark.parametrize("mark", ["、", "，", ","])
def test_an_enumeration_shares_its_lead_in_whatever_the_mark(mark):
    text = f"全年在网站发布各类信息800多条，在微信公众号发布各类信息145期{mark}752条。"
    both_ways(text, "752条")
    both_ways(text, "145期")


def test_a_number_after_words_does_not_borrow_the_clause_before():
    # "17件结果维持，4件尚未审结": the 4件 has its own words, after it
    text = "政府信息公开行政复议4件，其中3件结果维持，1件结果纠正。"
    both_ways(text, "1件")


# ---- breakdowns under a total -----------------------------------------------------------------


def test_the_items_of_a_breakdown_are_matched_to_their_own_facts():
    text = "全年开展政策问答36期，其中，市本级12期、甲区10期、乙县14期。"
    both_ways(text, "12期")
    both_ways(text, "10期")
    both_ways(text, "36期")


def test_an_item_without_a_fact_is_unknown_never_a_mismatch_with_the_whole():
    data = {**DATA, "facts": [f for f in DATA["facts"] if f["id"] not in ("qa.a", "qa.b")]}
    data["facts"] = [{**f, "parts": []} if f["id"] == "qa" else f for f in data["facts"]]
    text = "全年开展政策问答36期，其中，市本级12期、甲区10期、乙县14期。"
    assert flagged(text, "10期", data) == ["E-NUM-UNKNOWN"]
    assert flagged(text, "14期", data) == ["E-NUM-UNKNOWN"]
    assert flagged(text, "12期", data) == []


def test_amounts_broken_down_under_the_fee_total_are_never_a_mismatch():
    text = "全年共收取信息处理费1200元，其中市教育局500元、市住建局400元、市自然资源局300元。"
    found = verify(text)
    assert {f.code for f in found} == {"E-NUM-UNKNOWN"}
    assert [f.location.text for f in found] == ["500元", "400元", "300元"]
    mutated, wrong = plus_one(text, "1200元")
    assert "E-NUM-MISMATCH" in flagged(mutated, wrong)


# ---- a fact whose label the text repeats outranks a table concept ---------------------------


def test_a_word_for_word_fact_label_outranks_the_table_concept_in_it():
    both_ways("全年备案审查行政复议案件56件。", "56件")
    # … and the table concept is still the source where no fact is named
    both_ways("全年被申请行政复议4件。", "4件")


# ---- received and carried over ---------------------------------------------------------------


def test_applications_handled_are_the_new_and_the_carried_over():
    text = "全年共收办政府信息公开申请218件，其中，自然人申请217件，法人或其他组织申请1件。"
    both_ways(text, "218件")
    both_ways(text, "217件")
    both_ways("全年共受理并办理政府信息公开申请218件。", "218件")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # phrasings of published reports (余杭区 2024, 杭州市政府办公厅 2024), our figures
        (
            "全区共受理政府信息公开申请件218件（包含上年结转3件），218件已按规定在法定期限内予以答复。",
            "218件",
        ),
        ("全年新受理政府信息公开申请件215件，上年结转3件；按规定在法定期限内答复218件。", "218件"),
    ],
)
def test_received_with_the_carried_over_included_is_what_was_handled(text, number):
    both_ways(text, number)


def test_a_breakdown_of_new_applications_after_the_handled_total_still_verifies():
    text = "全年共需办理申请218件，其中，自然人提出214件，占新收申请的99.5%。"
    assert verify(text) == []


# ---- rates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("全年共收到政府信息公开申请215件，政府信息公开率为45.9%。", "45.9%"),
        ("全年共收到政府信息公开申请215件，予以公开71件，部分公开29件，公开率45.9%。", "45.9%"),
        ("全年共收到政府信息公开申请215件，部分公开29件，公开率45.9%。", "45.9%"),
        ("全年共收到政府信息公开申请215件，自然人申请占99.5%。", "99.5%"),
        ("全年共收办政府信息公开申请218件，自然人申请占99.5%。", "99.5%"),
    ],
)
def test_the_usual_rates_are_derived_with_the_rounding_the_text_shows(text, number):
    both_ways(text, number, "E-NUM-PERCENT")


def test_a_closing_rate_is_derived_and_a_wrong_one_reported():
    assert verify("全年共收到政府信息公开申请215件，办结率为100%。") == []
    wrong = verify("全年共收到政府信息公开申请215件，办结率为98%。")
    assert [f.code for f in wrong] == ["E-NUM-PERCENT"]
    assert "218件" in wrong[0].message  # it says what the tables give


def test_a_rate_of_something_else_is_not_taken_for_a_rate_of_table_three():
    found = verify("承办人大代表建议15件，办结率100%。")
    assert "E-NUM-PERCENT" not in [f.code for f in found]


def test_a_closing_rate_may_be_the_handled_less_what_goes_on_to_next_year():
    # 办复 = 新收 + 结转 − 结转下年度 (217 ÷ 218 = 99.5%), even where table 三's 办结 says 218
    data = {
        **DATA,
        "applications": {**DATA["applications"], "carried_forward": {"natural_person": 1}},
    }
    text = "全年共收到政府信息公开申请215件，办复率99.5%。"
    assert flagged(text, "99.5%", data) == []
    assert flagged(text.replace("99.5%", "97.5%"), "97.5%", data) == ["E-NUM-PERCENT"]


# ---- more ways reports word the tables -------------------------------------------------------


def test_each_of_two_coordinated_things():
    data = {
        **DATA,
        "review_litigation": {
            "review": {"upheld": 2},
            "litigation_direct": {"upheld": 2},
            "litigation_after_review": {},
        },
    }
    text = "涉及信息公开的行政复议和行政诉讼各2件。"
    assert verify(text, data) == []
    assert flagged("涉及信息公开的行政复议和行政诉讼各3件。", "3件", data)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("其中予以公开或部分公开100件，不予公开10件。", "100件"),
        ("全年依法办理政府信息公开申请218件。", "218件"),
        ("办结218件（含2023年度结转3件）。", "3件"),
        ("属于信访、投诉、举报等申请不作为政府信息公开申请处理20件。", "20件"),
        ("在网站集中公开有效规范性文件41份。", "41份"),
    ],
)
def test_wordings_of_the_tables_seen_in_published_reports(text, number):
    both_ways(text, number)


def test_an_item_naming_only_a_kind_of_document_shares_the_words_before_it():
    data = {
        **DATA,
        "profile": {"rulemaking_power": True},
        "proactive": {**DATA["proactive"], "rules": {"issued": 2, "repealed": 0, "in_force": 9}},
    }
    text = "主动公开本年度制发的市政府规章2件、市政府办公室行政规范性文件6件。"
    assert verify(text, data) == []
    assert flagged(text.replace("文件6件", "文件2件"), "2件", data) == ["E-NUM-MISMATCH"]
    text = "集中公开有效规范性文件41份，规章9份。"
    assert verify(text, data) == []
    assert flagged(text.replace("规章9份", "规章41份"), "41份", data) == ["E-NUM-MISMATCH"]


def test_respective_numbers_go_to_the_things_listed_before_them():
    data = {
        **DATA,
        "facts": [
            fact("areas.a", "重大项目建设领域信息", 34, "条"),
            fact("areas.b", "运输服务领域信息", 29, "条"),
            fact("areas.c", "建设市场管理领域信息", 12, "条"),
        ],
    }
    text = "公开重大项目建设、运输服务、建设市场管理等重点领域信息分别34条、29条、12条。"
    assert verify(text, data) == []
    swapped = text.replace("34条、29条", "29条、34条")
    assert {f.location.text for f in verify(swapped, data)} == {"29条", "34条"}


def test_a_breakdown_item_may_equal_its_whole():
    # nothing carried over: 本年新收 is the whole 受理
    data = {**DATA, "applications": {**DATA["applications"], "carried_over": {}}}
    data["applications"]["results"] = {
        **DATA["applications"]["results"],
        "other": {"no_correction": {"natural_person": 25}},
    }
    text = "全年共受理依申请公开215件，其中本年新收215件，上年结转0件。"
    assert verify(text, data) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("因信息公开引发行政争议6件，其中行政复议4件，行政诉讼2件。", "6件"),
        ("收到申请215件，申请人主动撤销28件。", "28件"),
    ],
)
def test_more_words_for_table_quantities(text, number):
    data = {
        **DATA,
        "applications": {
            **DATA["applications"],
            "results": {
                **DATA["applications"]["results"],
                "other": {"other": {"natural_person": 28}},
            },
        },
    }
    assert verify(text, data) == [], verify(text, data)
    mutated, wrong = plus_one(text, number)
    assert flagged(mutated, wrong, data)


def test_ten_thousands_with_an_approximate_word_between():
    data = {**DATA, "facts": [fact("items", "主动公开政府信息", 200000, "条", approx="余")]}
    assert verify("全年主动公开政府信息20余万条。", data) == []
    assert flagged("全年主动公开政府信息30余万条。", "30余万条", data)


def test_a_score_is_no_percentage_and_no_count():
    data = {**DATA, "facts": [fact("rate", "政务服务好差评系统满意率为", 100, "%")]}
    found = verify("政务服务好差评系统满意率为100%，系统评分92.4分。", data)
    assert [(f.code, f.location.text) for f in found] == [("E-NUM-UNKNOWN", "92.4分")]


def test_a_change_whose_two_years_the_text_states_is_checked_by_arithmetic():
    text = "全年共收到政府信息公开申请215件，比2023年（250件）下降14%。"
    assert verify(text) == []  # the 250件 is last year's: advice, not checked here
    assert [f.code for f in verify(text.replace("14%", "15%"))] == ["E-NUM-PERCENT"]
    assert [f.code for f in verify(text.replace("下降", "增长"))] == ["E-NUM-MISMATCH"]


def test_a_percentage_is_rounded_or_cut_at_its_digits_never_pushed_up():
    # 29 ÷ 218 = 13.30%: "13%" or "13.3%", never "14%"
    assert verify("办结218件，其中部分公开29件，占办结总数的13.3%。") == []
    assert verify("办结218件，其中部分公开29件，占办结总数的13%。") == []
    assert flagged("办结218件，其中部分公开29件，占办结总数的14%。", "14%")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("全年收到公民、法人和其他组织政府信息公开申请共215件。", "215件"),
        ("截至年底现行行政规范性文件41件。", "41件"),
    ],
)
def test_set_phrases_and_short_forms_of_table_words(text, number):
    both_ways(text, number)


def test_the_rest_of_a_total_is_not_the_total():
    found = verify("共收到申请215件，其中撤回3件，其余212件已在规定期限内予以答复。")
    assert [f.code for f in found if f.location.text == "212件"] == ["E-NUM-UNKNOWN"]


def test_the_words_before_the_number_before_are_that_numbers_own():
    data = {**DATA, "facts": [fact("areas", "调整完善", 32, "个")]}
    text = "调整完善32个领域和16个街道基层政务公开目录。"
    assert flagged(text, "32个", data) == []
    assert flagged(text, "16个", data) == ["E-NUM-UNKNOWN"]  # no source, no contradiction


def test_a_cumulative_count_is_not_this_years():
    data = {**DATA, "facts": [fact("items", "主动公开政府信息", 8, "条")]}
    text = "主动公开政府信息8条。历年累计主动公开政府信息535条。"
    assert flagged(text, "8条", data) == []
    assert flagged(text, "535条", data) == ["E-NUM-UNKNOWN"]


def test_a_share_of_a_total_the_facts_break_down():
    data = {
        **DATA,
        "facts": [
            fact("items", "主动公开政府信息", 8, "条", parts=["items.a", "items.b"]),
            fact("items.a", "机构设置信息", 3, "条"),
            fact("items.b", "其他信息", 5, "条"),
        ],
    }
    assert verify("机构设置信息3条，占37.5%。", data) == []
    assert flagged("机构设置信息3条，占38.5%。", "38.5%", data)


def test_ten_thousands_without_a_unit_and_break_through():
    data = {
        **DATA,
        "facts": [
            fact("fans", "微信公众号粉丝量", Decimal("124.8"), "万"),
            fact("reads", "总阅读量突破", 2937, "万", approx="超过"),
        ],
    }
    text = "微信公众号粉丝量124.8万，总阅读量突破2937万，其中100万+推文4篇。"
    found = verify(text, data)
    assert [f.location.text for f in found] == ["4篇"]  # a count with no source; 100万+ is a name
    assert flagged(text.replace("124.8万", "125.8万"), "125.8万", data)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # wordings of a fifth corpus of published reports, our figures
        ("其中“予以公开”71件、“区分处理后公开数”29件。", "29件"),
        ("逾期未补正视为放弃申请28件。", "28件"),
        ("因政府信息公开引起的行政复议4件和复议后提起行政诉讼0件。", "4件"),
        ("办结218宗，其中予以公开71宗。", "71宗"),
        ("结转下年度继续办理零件，其中部分公开二十九件。", "二十九件"),
    ],
)
def test_wordings_of_a_fifth_corpus(text, number):
    assert verify(text) == [], verify(text)
    if number[0].isdigit():
        mutated, wrong = plus_one(text, number)
        assert flagged(mutated, wrong)


def test_the_words_right_before_a_share_may_name_something_else():
    # "…28.9%，其他情况占5.2%": 其他情况 is not the 1527 of the sentence
    text = "共办理申请218件，其中予以公开或部分公开占45.9%，其他情况占54.1%。"
    found = verify(text)
    assert "E-NUM-PERCENT" not in [f.code for f in found if f.location.text == "54.1%"]


def test_wordings_of_a_sixth_corpus():
    # 办理 alone is what was closed; 结转至下年办理 is what goes on
    both_ways("全年受理申请215件，办理218件。", "218件")
    assert verify("结转至下年办理0件。") == []
    # zero is zero in 元 and in 万元
    assert verify("行政事业性收费0元。") == []
    # a sibling fact named word for word is no part of the first one
    data = {
        **DATA,
        "facts": [
            fact("weibo", "在街道政务微博公开信息", 545, "条"),
            fact("wechat", "街道政务微信公开信息", 378, "条"),
        ],
    }
    assert verify("在街道政务微博公开信息545条，街道政务微信公开信息378条。", data) == []


# ---- numbers that are names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "修订《青川市政府信息公开指南（2024版）》并在网站公布。",
        "畅通“12345”政务服务便民热线，推行“1+X”公开模式。",
        "围绕12345公众诉求快速回应社会关切。",
        "营商环境评价入围全国50强，连续两年居长三角27市前十位。",
        "按照国办公开办函﹝2021﹞30号要求编制本报告。",
        "推动2022政务公开工作取得新进步。",
        "截至2023年12月31，窗口共办理事项。",
        "如对报告有疑问，请联系党政办，联系电话：89095552。",
        "根据《条例》（国务院令711号）编制本报告。",
        "1、2023年度，我办依法办理申请。",
        "全年没有出现一起投诉案件。",
        "紧紧围绕“写好五线谱，谱好两部曲，携手零距离，共画同心圆”的目标。",
        "把政务公开作为年终考核一项重要内容。",
        "办理答复人大代表建议（38号、39号、40号）并公开。",
    ],
)
def test_numbers_that_are_names_are_not_quantities(text):
    assert verify(text) == []


def test_a_quantity_after_a_name_is_still_checked():
    text = "推行“1+X”公开模式，全年在网站发布各类信息800多条。"
    assert verify(text) == []
    assert flagged("推行“1+X”公开模式，全年在网站发布各类信息900多条。", "900多条")


# ---- a number whose own words speak of something else ----------------------------------------


def test_a_similar_fact_does_not_claim_a_number_that_says_something_else():
    text = (
        "镇便民中心使用省一体化政务服务平台办理业务办件1838件，"
        "村（居）便民服务站使用省一体化政务服务平台办件量为1674件。"
    )
    assert flagged(text, "1838件") == []
    assert flagged(text, "1674件") == ["E-NUM-UNKNOWN"]  # no source; not a contradiction
    mutated, wrong = plus_one(text, "1838件")
    assert flagged(mutated, wrong) == ["E-NUM-MISMATCH"]


# ---- the seed report and the sample draft ------------------------------------------------------


def test_the_seed_text_gives_no_error_on_a_number_that_is_right():
    stats = load_stats(SAMPLE)
    report, _ = read_document(str(SEED))
    numbers = [f for f in verify_report(report, stats) if f.code.startswith(("E-NUM", "W-NUM"))]
    assert [(f.code, f.location.text) for f in numbers] == [("E-NUM-MISMATCH", "11份")]


def test_the_sample_draft_with_commas_in_its_enumerations_verifies(tmp_path):
    stats = load_stats(SAMPLE)
    text = render_markdown(draft_report(stats)).decode("utf-8")
    commas = re.sub(r"(?<=[0-9][件条份期次场项篇个元%])、", "，", text)
    assert commas != text
    path = tmp_path / "draft.md"
    path.write_text(commas, encoding="utf-8")
    report, _ = read_document(str(path))
    numbers = [f for f in verify_report(report, stats) if f.code.startswith(("E-NUM", "W-NUM"))]
    assert [(f.code, f.location.text) for f in numbers] == [("E-NUM-MISMATCH", "11份")]
