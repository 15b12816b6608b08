"""Cleaning a model's answer: every pattern of structured/reference/model-answers.yaml with an
answer of the kind real chat models give."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT, SAMPLE

from drafter.drafting.cleaning import (
    clean_answer,
    debris_in,
    is_heading_repeat,
    normalise_placeholders,
)
from drafter.formats import load_layout
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import fill, quantities, year_on_year

HEADING = "（三）政府信息管理方面"
PATTERNS = yaml.safe_load(
    (ROOT / "structured" / "reference" / "model-answers.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def known():
    stats = load_stats(SAMPLE)
    return quantities(stats, load_layout(stats.format))


def paragraphs(answer: str, known, heading: str = HEADING) -> list[str]:
    return ["".join(s.text for s in p) for p in clean_answer(answer, heading, known).paragraphs]


# Each entry: a real-looking answer, and the paragraphs it must clean to.
ANSWERS = {
    # chat_lines
    "preamble line": (
        "好的，以下是“（三）政府信息管理方面”部分的正文：\n\n我局落实信息发布“三审”要求。[素材1]",
        ["我局落实信息发布“三审”要求。"],
    ),
    "here is": ("以下是起草的正文：\n我局严格审核发布程序。", ["我局严格审核发布程序。"]),
    "text as follows": ("修改后的正文如下：\n\n我局严格审核发布程序。", ["我局严格审核发布程序。"]),
    "drafted as follows": (
        "根据要求，现将“六、其他需要报告的事项”部分起草如下：\n\n本年度无其他需要报告的事项。",
        ["本年度无其他需要报告的事项。"],
    ),
    "part as follows": (
        "现将“（三）政府信息管理方面”部分的正文整理如下：\n我局严格审核发布程序。",
        ["我局严格审核发布程序。"],
    ),
    "according to you": (
        "根据您提供的素材和数据，我为您起草了这一部分：\n我局严格审核发布程序。",
        ["我局严格审核发布程序。"],
    ),
    "according to material": (
        "根据提供的素材，起草如下：\n我局严格审核发布程序。",
        ["我局严格审核发布程序。"],
    ),
    "ok alone": (
        "好的，明白。\n\n本年度无其他需要报告的事项。【素材1】",
        ["本年度无其他需要报告的事项。"],
    ),
    # chat_openings
    "opening on the same line": (
        "好的，以下是正文：我局严格审核发布程序。",
        ["我局严格审核发布程序。"],
    ),
    "here is inline": ("以下为正文：我局严格审核发布程序。", ["我局严格审核发布程序。"]),
    "according to inline": ("根据您提供的素材，我局严格审核发布程序。", ["我局严格审核发布程序。"]),
    # closings
    "for reference": (
        "我局严格审核发布程序。\n\n以上内容仅供参考，可结合实际进一步完善。",
        ["我局严格审核发布程序。"],
    ),
    "if you need": (
        "我局严格审核发布程序。如需调整语气或篇幅，请告诉我。",
        ["我局严格审核发布程序。"],
    ),
    "adjust to reality": (
        "我局严格审核发布程序。请根据实际情况调整完善。",
        ["我局严格审核发布程序。"],
    ),
    "hope it helps": (
        "我局严格审核发布程序。\n希望以上内容对您有所帮助！",
        ["我局严格审核发布程序。"],
    ),
    "that was the text": (
        "我局严格审核发布程序。以上就是这一部分的正文。",
        ["我局严格审核发布程序。"],
    ),
    "as you asked": (
        "我局严格审核发布程序。已按照您的要求删去了说明。",
        ["我局严格审核发布程序。"],
    ),
    # remarks
    "note in parentheses": (
        "我局严格审核发布程序。（注：本段已控制在150字以内，可根据需要调整。）",
        ["我局严格审核发布程序。"],
    ),
    "note line": (
        "我局严格审核发布程序。\n\n说明：信息处理费已在第五部分反映，此处不再赘述。",
        ["我局严格审核发布程序。"],
    ),
    "remark about the answer": (
        "我局严格审核发布程序（本段未使用占位符以外的数字）。",
        ["我局严格审核发布程序。"],
    ),
    # strip
    "editor mark copied": ("【编辑】我局严格审核发布程序。", ["我局严格审核发布程序。"]),
    # Markdown
    "headings, bold, rule": (
        "### （三）政府信息管理方面\n\n**一是严格审核。** 我局落实“三审”要求。\n\n---\n\n## 规范性文件\n集中公开规范性文件。",
        ["一是严格审核。我局落实“三审”要求。", "集中公开规范性文件。"],
    ),
    "bullets to 一是二是": (
        "我局着力做好以下工作：\n- 严格审核发布程序\n- 落实规范性文件集中公开\n- 强化网站互动功能",
        [
            "我局着力做好以下工作：一是严格审核发布程序；二是落实规范性文件集中公开；三是强化网站互动功能。"
        ],
    ),
    "numbered sentences": (
        "1. 严格审核发布程序。坚持先审后发。\n2. 落实规范性文件集中公开。",
        ["一是严格审核发布程序。坚持先审后发。二是落实规范性文件集中公开。"],
    ),
    "blockquote note": (
        "我局严格审核发布程序。\n\n> 注：行政许可等数据详见表二。",
        ["我局严格审核发布程序。"],
    ),
    "bold line heading": ("**依申请公开办理情况**\n\n我局规范办理申请。", ["我局规范办理申请。"]),
    "stray spaces": (
        "我局 严格审核发布程序： 坚持先审后发。",
        ["我局严格审核发布程序：坚持先审后发。"],
    ),
    "heading repeated as a lead": (
        "政府信息管理方面：我局严格审核发布程序。",
        ["我局严格审核发布程序。"],
    ),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_the_answer_is_cleaned_to_official_prose(name, known):
    answer, expected = ANSWERS[name]
    assert paragraphs(answer, known) == expected


def test_every_pattern_is_exercised_by_an_answer_above():
    answers = [a for a, _ in ANSWERS.values()]
    lines = [line.strip() for a in answers for line in a.split("\n")]
    for key in ("chat_lines", "chat_openings", "closings", "remarks"):
        for pattern in PATTERNS[key]:
            regex = re.compile(pattern, re.M)
            assert any(regex.search(line) for line in lines), (key, pattern)


def test_a_markdown_table_is_kept_with_its_lead_in_and_found_as_debris(known):
    answer = (
        "全年主动公开政府信息{proactive.items}。[统计]具体分类如下：\n\n"
        "| 类别 | 数量 |\n|---|---|\n| 财务预决算 | {proactive.items.finance} |"
    )
    first, table = paragraphs(answer, known)
    assert first == "全年主动公开政府信息{proactive.items}。"
    assert table.startswith("具体分类如下：| 类别 | 数量 |")
    [debris] = debris_in(fill(table, known).text)
    assert "表格" in debris.problem and debris.start == 0


def test_source_tags_are_removed_and_kept_per_sentence(known):
    cleaned = clean_answer(
        "全年发布政策{proactive.policies}。[素材1]坚持先审后发[素材 2][统计]。我局高度重视。【通用】",
        HEADING,
        known,
    )
    [sentences] = cleaned.paragraphs
    assert [(s.text, s.cites) for s in sentences] == [
        ("全年发布政策{proactive.policies}。", ("素材1",)),
        ("坚持先审后发。", ("素材2", "统计")),
        ("我局高度重视。", ("通用",)),
    ]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("{{proactive.items}}", "{proactive.items}"),  # gave "{143条}"
        ("｛proactive.interpretations｝", "{proactive.interpretations}"),
        ("{ management.online_interviews }", "{management.online_interviews}"),
        ("${proactive.items}", "{proactive.items}"),
        ("【proactive.items】", "{proactive.items}"),
        ("[proactive.items]", "{proactive.items}"),
        ("全年公开 proactive.items 。", "全年公开 {proactive.items} 。"),
        ("{proactive.items}条", "{proactive.items}"),  # gave "143条条"
        ("{management.online_interviews}期", "{management.online_interviews}"),
        ("{@applications.new_received}件", "{@applications.new_received}"),  # 1件件
        ("{platforms.website_items}多条", "{platforms.website_items}"),
        ("{proactive.handling.completion_rate}%", "{proactive.handling.completion_rate}"),
        # a unit that makes a word with what follows stays: 3件 条件
        ("{proactive.items}条例", "{proactive.items}条例"),
        ("{proactive.item}", "{proactive.item}"),  # misspelt: left for the repair round
    ],
)
def test_placeholder_variants_become_one_form(written, normal, known):
    assert normalise_placeholders(written, known) == normal


def test_a_direction_word_before_a_change_is_not_doubled(known):
    changes = year_on_year(
        {"@x": known["proactive.items"].__class__("@x", 12, "件", "收到申请", "cell")},
        {"@x": known["proactive.items"].__class__("@x", 9, "件", "收到申请", "cell")},
    )
    text = normalise_placeholders("较上年增加{yoy.x}，同比增长{yoy_pct.x}", {**known, **changes})
    assert fill(text, changes).text == "较上年增加3件，同比增长33.3%"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("共收到申请{@applications.received}。", "不存在的占位符"),
        ("全年公开信息{143条}。", "花括号"),
        ("根据素材，我局严格审核。", "提示词"),
        ("在线访谈5期期。", "单位重复"),
        ("**一是**严格审核。", "Markdown"),
        ("严格审核。[素材1", "Markdown"),
    ],
)
def test_what_cannot_be_cleaned_is_found_as_debris(text, problem):
    assert any(problem in d.problem for d in debris_in(text))


def test_official_prose_has_no_debris():
    for text in (
        "我局严格落实“三审”制度，全年公开信息143条，其中法规规章类4条。",
        "2023年申请办理情况如下：予以公开1件。",
        "一是严格审核；二是集中公开。",
    ):
        assert debris_in(text) == []


def test_the_heading_repeated_in_any_form_is_recognised():
    for line in (
        "（三）政府信息管理方面",
        "政府信息管理",
        "三、政府信息管理情况",
        "## 政府信息管理",
    ):
        assert is_heading_repeat(line, HEADING)
    assert not is_heading_repeat("严格政府信息公开审核和发布程序", HEADING)
