"""Whether a model's sentence claims only what the notes or the statistics say (grounding),
sentence by sentence, on the sample's notes."""

from __future__ import annotations

import pytest
from conftest import SAMPLE

from drafter.drafting.grounding import Material
from drafter.formats import load_layout
from drafter.report import Span
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import Quantity, fill, quantities, year_on_year


@pytest.fixture(scope="module")
def sample():
    stats = load_stats(SAMPLE)
    layout = load_layout(stats.format)
    known = quantities(stats, layout)
    return stats, layout, known, Material(stats, known, layout)


def unsupported(material: Material, sentence: str, part: str = "overall.management", **kw):
    return [(sentence[u.start : u.end], u.kind) for u in material.check(sentence, part=part, **kw)]


@pytest.mark.parametrize(
    "sentence",
    [
        # paraphrases of the notes
        "我局严格执行信息发布“三审”制度，坚持上网信息必审核。",
        "严格落实《泉州市科学技术局网站和政务新媒体信息发布管理制度》，做到涉密信息不上网。",
        "组织业务骨干参加市政府信息公开专题培训班，提升业务水平。",
        "成立以局主要领导为组长的政府信息公开工作领导小组，将信息公开纳入绩效考核。",
        "今年6月，对网站进行IPv6支持度、适老化和无障碍改造。",
        "在泉州市科技信息网站设立科技政策专栏。",
        # framing with no claim of its own
        "我局高度重视政府信息公开工作，不断加强平台建设。",
        "按照要求认真开展相关工作。",
        "我局坚持以公开为常态、不公开为例外，严格落实“谁公开谁审查、谁审查谁负责”的原则。",
        "未作出行政许可、行政处罚和行政强制决定。",
    ],
)
def test_what_the_notes_say_is_supported(sample, sentence):
    *_, material = sample
    assert unsupported(material, sentence) == []


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("在全市政务公开年度考评中获评优秀等次。", "award"),
        ("我局政务公开工作位列全市前列。", "ranking"),
        ("群众满意率达到较高水平。", "evaluation"),
        ("办理质量得到代表委员普遍认可。", "evaluation"),
        ("开通“泉科通”小程序，拓宽公开渠道。", "name"),
        ("我局建立了政务公开督查通报机制。", "new_system"),
        ("并在局内组织专题培训，提升能力。", "event"),
        ("参训人员覆盖全体干部。", "people"),
        ("全年主动公开政府信息数量同比增长。", "change"),
        ("针对上年度报告指出的问题，已全部整改到位。", "rectification"),
        ("围绕老旧小区、垃圾分类等领域开展政策解读。", "list"),
        ("完成门户网站集约化迁移改造。", "new_system"),
    ],
)
def test_what_no_note_says_is_a_claim_without_source(sample, sentence, kind):
    *_, material = sample
    found = unsupported(material, sentence, part="overall.platforms")
    assert found and found[0][1] == kind, found


def test_a_rejected_claim_rewritten_vaguely_is_not_laundered(sample):
    # The model typed "组织专题培训12次" (no source for 12); told so, it answered vaguely.
    *_, material = sample
    rewrite = "多次组织专题培训，实现全覆盖。"
    assert unsupported(material, rewrite) == [
        ("多次组织专题培训", "vague_amount"),
        ("实现全覆盖", "vague_amount"),
    ]
    # the same words are fine where the notes say them
    assert unsupported(material, "组织业务骨干参加市政府信息公开专题培训班。") == []


def test_the_part_on_problems_holds_to_its_own_notes(sample):
    *_, material = sample
    noted = "政策解读的形式不够丰富，面向公众征集意见的覆盖面还不够广。"
    assert unsupported(material, noted, part="problems") == []
    extra = "二是部分栏目信息更新不够及时。"  # 栏目 is in other parts' notes, not here
    assert [c for c, _ in unsupported(material, extra, part="problems")] == [extra[:-1]]
    assert unsupported(material, "依法答复的风险依然存在。", part="problems")
    assert unsupported(material, "我局政府信息公开工作还存在一些不足。", part="problems") == []


def test_numbers_from_placeholders_bring_their_labels(sample):
    *_, known, material = sample
    filled = fill("全年发布在线访谈{management.online_interviews}。", known)
    assert material.check(filled.text, filled.spans) == []
    # a placeholder the drafter could not fill is debris, never a claim
    assert unsupported(material, "共收到申请{@applications.received}。") == []


def test_year_on_year_needs_a_change_placeholder_or_confirmed_figures(sample):
    stats, layout, known, material = sample
    sentence = "全年公开政府信息143条，同比增长10.0%。"
    assert unsupported(material, sentence)[0][1] == "change"
    last = dict(known)
    last["proactive.items"] = Quantity("proactive.items", 130, "条", "公开政府信息", "fact")
    changes = year_on_year(known, last)
    with_change = Material(stats, {**known, **changes}, layout)
    filled = fill(
        "全年公开政府信息{proactive.items}，同比{yoy_pct.proactive.items}。", changes | known
    )
    assert filled.text == "全年公开政府信息143条，同比增长10.0%。"
    assert with_change.check(filled.text, filled.spans) == []
    # a typed change the verifier confirmed supports 同比 in its clause
    at = sentence.index("10.0%")
    assert material.check(sentence, [], confirmed=[(at, at + 5)]) == []
    assert material.check(sentence, [Span(0, 0, "x")]) != []
