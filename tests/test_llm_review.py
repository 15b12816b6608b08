"""What a model's draft goes through before an editor sees it (fake chat models, the sample's
statistics and notes): actionable repairs, claims sent back once, numbers trusted by their
provenance, contradictions in the statistics kept from the model, year-on-year changes,
and what `drafter verify` finds again in the document the drafter wrote."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import SAMPLE, load_data
from docx import Document
from docx_edits import replace_text
from test_llm import ScriptedChat

from drafter.drafting.draft import draft_report, drafting_quantities
from drafter.drafting.llm import ChatModel
from drafter.drafting.llmdraft import LLMDrafter
from drafter.drafting.offline import OfflineDrafter
from drafter.formats import load_layout
from drafter.read.document import read_document
from drafter.render.docx import render_docx
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import quantities
from drafter.verification.verify import verify_report

MANAGEMENT = "（三）政府信息管理方面"
SUPERVISION = "（五）监督保障方面"
PROACTIVE = "（一）主动公开方面"


def sample_drafter(chat, stats=None, previous=None, repairs: int = 2):
    stats = stats or load_stats(SAMPLE)
    layout = load_layout(stats.format)
    known, corrected = drafting_quantities(stats, layout, previous)
    model = ChatModel(chat, id="fake-model", endpoint="fake://", model="fake", parameters={})
    drafter = LLMDrafter(
        stats,
        layout,
        known,
        model,
        OfflineDrafter(stats, layout, quantities(stats, layout)),
        repairs=repairs,
        workers=1,
        corrected=corrected,
        previous=previous,
    )
    return stats, layout, drafter


def feedback(chat: ScriptedChat, call: int) -> str:
    return chat.prompts[call][-1].content


def test_the_repair_prompt_quotes_the_sentence_and_says_what_to_do():
    chat = ScriptedChat(
        {
            MANAGEMENT: [
                "好的，以下是正文：\n\n全年发布在线访谈6期，组织专题培训12次。[素材3]",
                "全年发布在线访谈{management.online_interviews}。[素材3]",
            ]
        }
    )
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.management")
    assert paragraph.text == "全年发布在线访谈5期。" and not paragraph.marks
    text = feedback(chat, 1)
    assert (
        "“全年发布在线访谈6期，组织专题培训12次。”：用占位符 {management.online_interviews} 代替“6期”"
        in text
    )
    assert "“12次”在统计数据中没有来源：删去这个数" in text and "不要改成“多次”" in text
    assert "第1段" not in text and "请确认" not in text  # nothing the model cannot act on
    assert "不要写开场白" in text and "不要使用 Markdown" in text  # the rule, repeated
    assert chat.prompts[1][-2].content.startswith("好的")  # its own answer, as it was


def test_an_unsupported_claim_goes_back_once_and_then_is_marked():
    invented = "我局严格落实“三审”要求。[素材1]在全市政务公开考评中获评优秀等次。[通用]"
    chat = ScriptedChat({MANAGEMENT: [invented] * 5})
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.management")
    assert len(chat.prompts) == 2  # the claim went back once; the same answer is marked
    assert "获评" in feedback(chat, 1) and "删除这句无素材依据的说法" in feedback(chat, 1)
    [mark] = paragraph.marks
    assert mark.message.startswith("[W-CLAIM-UNSOURCED]") and "获评" in mark.message
    start, end = mark.span
    assert paragraph.text[start:end] == "在全市政务公开考评中获评优秀等次"


def test_a_vague_rewrite_of_a_rejected_claim_is_marked_not_laundered():
    chat = ScriptedChat(
        {
            SUPERVISION: [
                "组织专题培训12次，参训人员120人次。[通用]",
                "多次组织专题培训，实现全覆盖。[通用]",
                "多次组织专题培训，实现全覆盖。[通用]",
            ]
        }
    )
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.supervision")
    assert paragraph.text == "多次组织专题培训，实现全覆盖。"
    marked = {paragraph.text[m.span[0] : m.span[1]] for m in paragraph.marks}
    assert marked == {"多次组织专题培训", "实现全覆盖"}


def test_numbers_from_placeholders_are_trusted_by_their_provenance():
    # "其中重点督办件1件" and "局长信箱……8条": right by construction, never re-judged.
    chat = ScriptedChat(
        {
            PROACTIVE: [
                "全年承办人大代表建议{proactive.npc_suggestions}，其中重点督办件"
                "{proactive.npc_suggestions.key}。[素材2]"
            ],
            MANAGEMENT: ["及时处理局长信箱及咨询投诉栏目{management.mailbox_items}。[素材3]"],
        }
    )
    *_, drafter = sample_drafter(chat)
    for part in ("overall.proactive", "overall.management"):
        [paragraph] = drafter.section(part)
        assert not paragraph.marks, paragraph.marks
        assert paragraph.spans
    assert len(chat.prompts) == 2


def test_a_poorly_fitting_placeholder_is_a_hint_never_a_mark():
    chat = ScriptedChat(
        {
            MANAGEMENT: [
                "政策解读{management.mailbox_items}，组织专题培训12次。[素材3]",
                "政策解读{management.mailbox_items}。[素材3]",
            ]
        }
    )
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.management")
    assert not paragraph.marks
    assert "另请留意" in feedback(chat, 1) and "{management.mailbox_items}" in feedback(chat, 1)


def test_a_fact_contradicting_its_table_is_offered_with_the_table_value():
    chat = ScriptedChat(
        {MANAGEMENT: ["集中发布现行有效规范性文件{management.normative_in_force}。[素材2]"]}
    )
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.management")
    user = chat.prompts[0][1].content
    assert (
        "{management.normative_in_force}：集中发布我局制定的现行有效规范性文件（填入后为“14份”）"
        in user
    )
    assert "写作11份，与表格（14份）不符" in user
    assert paragraph.text == "集中发布现行有效规范性文件14份。" and not paragraph.marks
    assert len(chat.prompts) == 1  # nothing to repair: the model was never asked to


def test_the_prompt_says_zeros_blanks_and_the_fee_statement_in_a_few_lines():
    chat = ScriptedChat({})
    *_, drafter = sample_drafter(chat)
    drafter.section("overall.requests")
    user = chat.prompts[0][1].content
    offered = [line for line in user.splitlines() if line.startswith("- {")]
    assert len(offered) <= 8 and not any("“0件”）" in line for line in offered)
    assert "以下各项为零" in user and "上年结转的申请" in user
    assert "【统计表中空白的项】因政府信息公开被申请行政复议的案件" in user
    assert "结果维持" not in user and "表三 ·" not in user
    assert "工作， 依法" not in user  # no spaces left by YAML folding
    assert "[素材1]" in user
    other = sample_drafter(ScriptedChat({}))[2]
    other.section("other")
    assert "本报告另有一部分专门写信息处理费" in other.chat.chat.prompts[0][1].content


def test_year_on_year_placeholders_with_last_year_and_a_marked_claim_without():
    data = load_data_from(SAMPLE)
    stats = load_data(data)
    last = dict(data, year=2022)
    last["facts"] = [dict(f) for f in data["facts"]]
    next(f for f in last["facts"] if f["id"] == "proactive.policies")["value"] = 20
    previous = load_data(last)
    answer = "全年发布科技政策{proactive.policies}，较上年{yoy.proactive.policies}，同比{yoy_pct.proactive.policies}。[素材1]"
    chat = ScriptedChat({PROACTIVE: [answer]})
    *_, drafter = sample_drafter(chat, stats, previous)
    [paragraph] = drafter.section("overall.proactive")
    assert paragraph.text == "全年发布科技政策24条，较上年增加4条，同比增长20.0%。"
    assert not paragraph.marks
    assert "{yoy.proactive.policies}" in chat.prompts[0][1].content
    # without last year's statistics, a 同比 claim has no source: sent back, then marked
    typed = "全年发布科技政策{proactive.policies}，同比增长20%。[素材1]"
    chat = ScriptedChat({PROACTIVE: [typed] * 3})
    *_, drafter = sample_drafter(chat, stats)
    [paragraph] = drafter.section("overall.proactive")
    assert any("[W-CLAIM-UNSOURCED]" in m.message and "同比" in m.message for m in paragraph.marks)


def load_data_from(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def drafted(tmp_path: Path):
    """A draft whose supervision part carries an invented award and a markdown table."""
    chat = ScriptedChat(
        {
            SUPERVISION: [
                "我局成立政府信息公开工作领导小组。[素材1]在全市考评中获评优秀等次。[通用]\n\n"
                "| 项目 | 情况 |\n|---|---|\n| 培训 | 已开展 |"
            ]
            * 3,
            MANAGEMENT: [
                "落实信息发布“三审”要求。[素材1]及时处理局长信箱及咨询投诉栏目"
                "{management.mailbox_items}，做到及时回复。[素材3]"
            ],
        }
    )
    stats, layout, drafter = sample_drafter(chat)
    report = draft_report(stats, layout, drafter=drafter)
    path = tmp_path / "draft.docx"
    path.write_bytes(render_docx(report))
    return stats, report, path


def paragraph_codes(findings) -> set[tuple[str, str]]:
    return {
        (f.code, f.location.text)
        for f in findings
        if f.code in ("W-CLAIM-UNSOURCED", "E-TEXT-DEBRIS") or f.code.startswith("E-NUM")
    }


def test_verify_finds_in_the_document_exactly_what_the_drafter_marked(drafted):
    stats, report, path = drafted
    marked = {
        (m.message.split("]")[0][1:], p.text[m.span[0] : m.span[1]])
        for p in report.paragraphs()
        for m in p.marks
        if m.span
    }
    assert ("W-CLAIM-UNSOURCED", "在全市考评中获评优秀等次") in marked
    assert any(code == "E-TEXT-DEBRIS" for code, _ in marked)
    read, _ = read_document(path)
    assert paragraph_codes(verify_report(read, stats)) == marked


def test_the_editor_owns_what_the_editor_rewrites(drafted):
    stats, _, path = drafted
    data = path.read_bytes()
    # The editor rewrites the invented sentence; the sentence is the editor's now.
    edited = replace_text(data, "在全市考评中获评优秀等次", "在全市考评中获评优秀等次（已核实）")
    path.write_bytes(edited)
    read, _ = read_document(path)
    codes = paragraph_codes(verify_report(read, stats))
    assert not any(code == "W-CLAIM-UNSOURCED" for code, _ in codes)
    assert any(code == "E-TEXT-DEBRIS" for code, _ in codes)  # the table is still the model's


def test_numbers_from_placeholders_stay_trusted_after_an_edit_elsewhere(drafted):
    stats, _, path = drafted
    edited = replace_text(path.read_bytes(), "做到及时回复", "做到当日回复")
    path.write_bytes(edited)
    read, _ = read_document(path)
    paragraph = next(p for p in read.paragraphs() if "局长信箱" in p.text)
    assert paragraph.spans and paragraph.text[paragraph.spans[0].start :].startswith("8条")
    assert not [f for f in verify_report(read, stats) if f.location.text == "8条"]
    # the editor changes the number itself: it is judged like any editor's number
    path.write_bytes(replace_text(edited, "投诉栏目8条", "投诉栏目9条"))
    read, _ = read_document(path)
    assert [f.code for f in verify_report(read, stats) if f.location.text == "9条"]


def test_marked_claims_are_highlighted_and_commented_in_word(drafted):
    _, _, path = drafted
    document = Document(io.BytesIO(path.read_bytes()))
    highlighted = [r.text for p in document.paragraphs for r in p.runs if r.font.highlight_color]
    assert "在全市考评中获评优秀等次" in highlighted
    assert any("W-CLAIM-UNSOURCED" in c.text for c in document.comments)


def test_a_number_of_unclear_meaning_is_asked_for_as_a_placeholder_not_to_confirm():
    chat = ScriptedChat(
        {MANAGEMENT: ["落实“三审”要求，全年审核把关4次。[素材1]", "落实“三审”要求。[素材1]"]}
    )
    *_, drafter = sample_drafter(chat)
    [paragraph] = drafter.section("overall.management")
    assert not paragraph.marks
    text = feedback(chat, 1)
    assert "“4次”如果是列出的某个数，用它的占位符代替；否则删去" in text
    assert "请确认" not in text
