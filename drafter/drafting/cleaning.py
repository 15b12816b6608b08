"""Cleaning a model's answer before anything else reads it.

Chat models wrap the text they were asked for in talk ("好的，以下是……："), remarks
("（注：本段已控制在150字以内）"), Markdown (headings, bold, lists, tables, rules), repeat the
heading, tag their sentences with sources (`[素材1]`, as the prompt asks) and write the
placeholders in the variants they like (`{{id}}`, `｛id｝`, `{ id }`, `{id}条`). This module
turns an answer into paragraphs of sentences in official prose: talk, remarks and Markdown
removed, a list written as "一是……；二是……", placeholders in their one form, each sentence
with the sources it cites. What cannot be cleaned safely (a Markdown table, a literal brace,
the prompt's own words) is kept and reported as debris, for the model to fix and, if it
survives, for the document to mark. The patterns are data, in
`structured/reference/model-answers.yaml`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from drafter.drafting.offline import chinese_count
from drafter.report import sentence_spans
from drafter.resources import structured_dir
from drafter.statistics.quantities import PLACEHOLDER, Quantity
from drafter.yamlsource import read_trusted_yaml

NAME = r"@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")  # a run of spaces (what stays of it: _spaces_kept)
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_RULE = re.compile(r"^\s*(?:[-*_＿—]\s*){3,}$")
# a Markdown heading; its closing #s are stripped after (`_heading_text`): a lazy group
# before `\s*#*\s*$` would try the end again from every character of a long line
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*+(.*)")
_BOLD_LINE = re.compile(r"^\*\*([^*。！？]{1,30})\*\*[：:]?$")  # a line that is only a bold phrase
_TABLE = re.compile(r"^\s*[|｜].*[|｜]\s*$")
_TABLE_RULE = re.compile(r"^[\s|｜:：\-—]+$")
_BULLET = re.compile(r"^\s*(?:[-*+•·●○▪■]|\d{1,2}\s*[.、．)）]|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])\s*")
_CN_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\s*")
_ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+是|首先|其次|再次|最后|此外)")
_EMPHASIS = re.compile(r"\*\*([^*\n]{1,300})\*\*|__([^_\n]{1,300})__")
_SENTENCE_END = re.compile(r"[。！？!?][”’」』）)]?")
# the placeholder variants models write (normalise_placeholders)
_DOLLAR = re.compile(r"\$(?=\{)")
_DOUBLE_BRACES = re.compile(r"\{\{\s*(" + NAME + r")\s*\}\}")
_WIDE_BRACES = re.compile(r"[{｛]\s*(" + NAME + r")\s*[}｝]")
_BRACKETED = re.compile(r"[\[［【〔<《]\s*(" + NAME + r")\s*[\]］】〕>》]")
_LATIN = re.compile(r"[A-Za-z]")
_DIRECTION = re.compile(r"((?:增加|增长|上升|提高|提升|减少|下降|降低|回落)了?)\{(" + NAME + r")\}")


@dataclass(frozen=True)
class Sentence:
    text: str  # with {placeholders}, without its source tags
    cites: tuple[str, ...] = ()  # 素材1, 统计, 通用 … as the model tagged it


@dataclass(frozen=True)
class Debris:
    """What is left in a paragraph that is not report text."""

    start: int  # span in the paragraph
    end: int
    problem: str  # what it is, for the editor
    fix: str  # what the model should do


@dataclass
class Cleaned:
    paragraphs: list[list[Sentence]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # what was taken out, for the log


@cache
def _patterns() -> dict[str, Any]:
    data = read_trusted_yaml(structured_dir() / "reference" / "model-answers.yaml")
    return {
        "chat_lines": [re.compile(p) for p in data["chat_lines"]],
        "chat_openings": [re.compile(p) for p in data["chat_openings"]],
        "closings": [re.compile(p) for p in data["closings"]],
        "remarks": [re.compile(p, re.M) for p in data["remarks"]],
        "prompt_words": tuple(data["prompt_words"]),
        "citation": re.compile(data["citation"]),
        "unit_words": tuple(data["unit_words"]),
        "strip": tuple(data["strip"]),
    }


@cache
def _units() -> tuple[str, ...]:
    data = read_trusted_yaml(structured_dir() / "reference" / "numbers.yaml")
    units = [str(u) for u in data["units"]] + ["个", "%", "％"]
    return tuple(sorted(set(units), key=len, reverse=True))


@cache
def _unit_after_placeholder() -> re.Pattern[str]:
    """A placeholder with a unit written after it ("{x}条", "{x}余件")."""
    units = "|".join(re.escape(u) for u in _units())
    return re.compile(r"\{(" + NAME + r")\}((?:多|余)?)(" + units + ")")


def _spaces_kept(match: re.Match[str]) -> str:
    """What stays of a run of spaces: a space next to a Chinese character (any non-ASCII
    one) goes, spaces between Latin words stay. This is `re.sub` of
    `(?<=[^\\x00-\\x7f])[ \\t\\u3000\\u00a0]+|[ \\t\\u3000\\u00a0]+(?=[^\\x00-\\x7f])`, worked out
    once per run: that pattern scans a long run again from each of its spaces."""
    text, start, end = match.string, match.start(), match.end()
    wide = [i for i in range(start + 1, end) if not text[i].isascii()]  # \u3000, \u00a0
    last_wide = end if end < len(text) and not text[end].isascii() else (wide or [-1])[-1]
    kept = []
    at = start
    while at < end:
        if at > 0 and not text[at - 1].isascii():
            break  # after a wide character: the rest of the run goes
        if last_wide > at:
            at = last_wide  # up to the last wide character after it goes
            continue
        kept.append(text[at])
        at += 1
    return "".join(kept)


def _heading_text(text: str) -> str:
    """A Markdown heading's text without its closing #s (`## 标题 ##`)."""
    return text.rstrip().rstrip("#").rstrip()


# ---- headings --------------------------------------------------------------------------------


def heading_key(text: str) -> str:
    """A heading without numbering, punctuation and the usual suffix: （二）依申请公开方面,
    二、依申请公开情况 and ## 依申请公开 all give 依申请公开."""
    text = re.sub(
        r"^(?:#+\s*|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+\s*[.、．]\s*"
        r"|第[一二三四五六七八九十]+部分\s*[:：、]?)",
        "",
        text.strip(),
    )
    text = re.sub(r"[\s*_#：:。，、“”\"'（）()【】\[\]]", "", text)
    return re.sub(r"(?:方面|情况|工作|部分|有关情况)$", "", text)


def is_heading_repeat(line: str, heading: str) -> bool:
    """Whether a line of an answer is the part's own heading again (numbered or not)."""
    key, own = heading_key(line), heading_key(heading)
    if not key or not own:
        return False
    return key == own or (len(line) <= len(heading) + 6 and (own in key or key in own))


# ---- the answer as blocks --------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # text | heading | item | table
    text: str


def _blocks(text: str, removed: list[str]) -> list[_Block | None]:
    """Lines as blocks; None stands for a paragraph break."""
    patterns = _patterns()
    out: list[_Block | None] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"^(?:>\s*)+", "", raw.strip().strip("\u3000\u00a0"))  # blockquotes
        if not line or _FENCE.match(line) or _RULE.match(line):
            if line:
                removed.append(line)
            out.append(None)
            continue
        if _TABLE.match(line) or line.count("|") + line.count("｜") >= 2:
            if not _TABLE_RULE.match(line):
                out.append(_Block("table", line))
            else:
                removed.append(line)
            continue
        stripped = _emphasis(line)
        if any(p.search(stripped) for p in patterns["chat_lines"]) or any(
            p.fullmatch(stripped) for p in patterns["remarks"]
        ):
            removed.append(line)
            out.append(None)
            continue
        heading = _HEADING.match(line)
        bold = None if heading else _BOLD_LINE.match(line)
        if heading or bold:
            title = _heading_text(heading.group(1)) if heading else bold.group(1)  # type: ignore[union-attr]
            out.append(_Block("heading", _emphasis(title)))
            continue
        bullet = _BULLET.match(stripped)
        if bullet and len(stripped) > bullet.end():
            out.append(_Block("item", stripped[bullet.end() :]))
            continue
        chinese = _CN_HEADING.match(stripped)
        if chinese and len(stripped) - chinese.end() <= 30 and not re.search("[。！？]", stripped):
            out.append(_Block("heading", stripped))
            continue
        if chinese:
            out.append(_Block("item", stripped[chinese.end() :]))
            continue
        out.append(_Block("text", stripped))
    return out


def _emphasis(text: str) -> str:
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return text.replace("**", "").replace("__", "").replace("`", "").replace("*", "")


def _item_sentence(text: str) -> str:
    text = text.strip().rstrip("；;，,、")
    return text if text.endswith(("。", "！", "？", "”", "）")) else text + "。"


def _enumerate(items: list[str]) -> str:
    """List items as one paragraph of official prose: 一是……；二是……。 (items that are
    whole sentences keep their own full stops: 一是……。二是……。)."""
    items = [i.strip() for i in items if i.strip()]
    if len(items) == 1:
        return _item_sentence(items[0])
    if all(_ENUMERATED.match(i) for i in items):
        return "".join(_item_sentence(i) for i in items)
    whole = any(re.search("[。！？]", i.rstrip("。！？")) for i in items)
    out = []
    for number, item in enumerate(items, 1):
        lead = f"{chinese_count(number)}是"
        if whole or number == len(items):
            out.append(lead + _item_sentence(item))
        else:
            out.append(lead + item.rstrip("；;，,、。") + "；")
    return "".join(out)


def _paragraphs(
    blocks: list[_Block | None], heading: str, removed: list[str]
) -> list[tuple[str, bool]]:
    """(paragraph text, whether it is a Markdown table kept as it was). Headings the model
    added (its own sub-headings, or the part's heading repeated) are dropped: a part of the
    report has no headings of its own, and the text under them stands as it is."""
    out: list[tuple[str, bool]] = []
    items: list[str] = []
    table: list[str] = []

    def flush_items() -> None:
        nonlocal items
        if items:
            text = _enumerate(items)
            if out and not out[-1][1] and _ends_with_colon(out[-1][0]):
                out[-1] = (out[-1][0] + text, False)
            else:
                out.append((text, False))
            items = []

    def flush_table() -> None:
        nonlocal table
        if table:
            lead = ""
            if out and not out[-1][1] and _ends_with_colon(out[-1][0]):
                # the lead-in sentence ("具体办理结果如下：") belongs to the table: debris with
                # it; the sentences before it stand on their own
                before, lead = _last_sentence(out.pop()[0])
                if before.strip():
                    out.append((before, False))
            out.append((_cited(lead)[0] + "".join(table), True))
            table = []

    for block in blocks:
        if block is None or block.kind != "table":
            flush_table()
        if block is None:
            continue
        if block.kind == "heading":
            flush_items()
            removed.append(block.text)
        elif block.kind == "item":
            items.append(block.text)
        elif block.kind == "table":
            flush_items()
            table.append(block.text)
        else:
            flush_items()
            out.append((block.text, False))
    flush_items()
    flush_table()
    return out


def _ends_with_colon(text: str) -> bool:
    """Whether a paragraph is a lead-in ("……如下：", a source tag after it aside)."""
    return _cited(text)[0].rstrip().endswith(("：", ":"))


def _last_sentence(text: str) -> tuple[str, str]:
    """(the sentences before the last one, the last one)."""
    ends = list(_SENTENCE_END.finditer(text.rstrip()))
    if not ends:
        return "", text
    cut = ends[-1].end()
    if cut >= len(text.rstrip()):  # the text ends with a full stop: no lead-in after it
        return "", text
    tag = _patterns()["citation"].match(text, cut)
    while tag:  # a source tag after the full stop belongs to the sentence before
        cut = tag.end()
        tag = _patterns()["citation"].match(text, cut)
    return text[:cut], text[cut:]


# ---- within a paragraph -------------------------------------------------------------------------


def _strip_talk(text: str, heading: str, first: bool, removed: list[str]) -> str:
    patterns = _patterns()
    for pattern in patterns["chat_openings"]:
        match = pattern.match(text)
        if match and (first or len(match.group(0)) < len(text)):
            removed.append(match.group(0))
            text = text[match.end() :].lstrip()
    for pattern in patterns["remarks"]:
        for match in pattern.finditer(text):
            removed.append(match.group(0))
        text = pattern.sub("", text)
    head, colon, rest = text.partition("：")
    if colon and rest and len(head) <= len(heading) + 6 and is_heading_repeat(head, heading):
        removed.append(head + colon)
        text = rest
    kept = []
    for sentence in _split(text):
        if any(p.search(sentence) for p in patterns["closings"]):
            removed.append(sentence)
        else:
            kept.append(sentence)
    return "".join(kept).strip()


def _split(text: str) -> list[str]:
    """Sentences, each with its closing mark (and a closing quote or parenthesis)."""
    return [text[start:end] for start, end in sentence_spans(text)]


def normalise_placeholders(text: str, quantities: Mapping[str, Quantity]) -> str:
    """The placeholder variants models write, in their one form {id}; a unit written after
    a placeholder whose value carries it removed ("{x}条" would give "143条条"), and a
    direction word written before a change ("增加{yoy.x}" would give "增加增加3件")."""
    text = _DOLLAR.sub("", text)
    text = _DOUBLE_BRACES.sub(r"{\1}", text)
    text = _WIDE_BRACES.sub(r"{\1}", text)

    def bracketed(match: re.Match[str]) -> str:
        return "{" + match.group(1) + "}" if match.group(1) in quantities else match.group(0)

    text = _BRACKETED.sub(bracketed, text)
    if _LATIN.search(PLACEHOLDER.sub("", text)):
        dotted = sorted((n for n in quantities if "." in n or n.startswith("@")), key=len)
        if dotted:
            bare = re.compile(
                r"(?<![A-Za-z0-9_.@{])("
                + "|".join(re.escape(n) for n in reversed(dotted))
                + r")(?![A-Za-z0-9_.}])"
            )
            text = bare.sub(r"{\1}", text)
    unit_words = _patterns()["unit_words"]
    after = _unit_after_placeholder()

    def doubled(match: re.Match[str]) -> str:
        quantity = quantities.get(match.group(1))
        unit = match.group(3)
        if quantity is None or not _same_unit(quantity, unit):
            return match.group(0)
        rest = match.string[match.start(3) : match.start(3) + len(unit) + 1]
        if any(rest.startswith(w) for w in unit_words):
            return match.group(0)
        return "{" + match.group(1) + "}"

    text = after.sub(doubled, text)

    def direction(match: re.Match[str]) -> str:
        quantity = quantities.get(match.group(2))
        if quantity is not None and quantity.direction:
            return "{" + match.group(2) + "}"
        return match.group(0)

    return _DIRECTION.sub(direction, text)


def _same_unit(quantity: Quantity, unit: str) -> bool:
    if quantity.direction == "持平":
        return False
    own = quantity.unit
    if unit in ("%", "％"):
        return own == "%"
    if unit == own:
        return True
    return own == "件" and unit in {"件", "份", "个", "项", "宗", "起", "次"}


def _cited(text: str) -> tuple[str, list[tuple[int, tuple[str, ...]]]]:
    """The text without source tags, and (position in it, what the tag cites) per tag."""
    pattern = _patterns()["citation"]
    tags: list[tuple[int, tuple[str, ...]]] = []
    out: list[str] = []
    length = last = 0
    for match in pattern.finditer(text):
        piece = text[last : match.start()]
        out.append(piece)
        length += len(piece)
        last = match.end()
        if match.group(2):
            numbers = re.findall(r"[0-9０-９]+|[一二三四五六七八九十]+", match.group(2))
            cites = tuple(f"素材{_arabic(n)}" for n in numbers)
        else:
            kind = match.group(3)
            cites = ("统计",) if kind in ("统计", "数据", "表格") else ("通用",)
        tags.append((length, cites))
    out.append(text[last:])
    return "".join(out), tags


def _arabic(number: str) -> int:
    from drafter.verification.numbers import parse_chinese

    number = number.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return int(number) if number.isdigit() else parse_chinese(number)


def _sentences(text: str) -> list[Sentence]:
    """The paragraph's sentences, each with what its tags cite. A tag belongs to the sentence
    it follows, whether the model put it before or after the full stop."""
    bare, tags = _cited(_SPACES.sub(_spaces_kept, text).strip())
    at = [position for position, _ in tags]  # in order: the tags of a sentence by bisection
    out: list[Sentence] = []
    position = 0
    for piece in _split(bare):
        start, end = position, position + len(piece)
        first = 0 if start == 0 else bisect_right(at, start)  # a tag at 0 opens the first
        cited = tags[first : bisect_right(at, end)]
        cites = dict.fromkeys(c for _, names in cited for c in names)
        out.append(Sentence(piece.strip(), tuple(cites)))
        position = end
    return out


# ---- the whole answer --------------------------------------------------------------------------


def clean_answer(text: str, heading: str, quantities: Mapping[str, Quantity]) -> Cleaned:
    """A model's answer as paragraphs of sentences, and what was removed. What could not be
    cleaned safely (a Markdown table) is kept as it was, for `debris_in` to find."""
    cleaned = Cleaned()
    for mark in _patterns()["strip"]:
        text = text.replace(mark, "")
    blocks = _blocks(text, cleaned.removed)
    for text_, is_table in _paragraphs(blocks, heading, cleaned.removed):
        if is_table:
            paragraph = text_
        else:
            first = not cleaned.paragraphs
            paragraph = _strip_talk(text_, heading, first, cleaned.removed)
        paragraph = normalise_placeholders(paragraph, quantities)
        sentences = [Sentence(paragraph)] if is_table else _sentences(paragraph)
        sentences = [s for s in sentences if s.text.strip() and not _only_punctuation(s.text)]
        if sentences:
            cleaned.paragraphs.append(sentences)
    return cleaned


def _only_punctuation(text: str) -> bool:
    return not re.search(r"[\w\u4e00-\u9fff{}]", text)


_LEFTOVER = re.compile(r"\*\*|#{2,}|`|\[(?:素材|统计|通用)|【(?:素材|统计|通用)")


def debris_in(text: str) -> list[Debris]:
    """What in a paragraph (as it stands in the document) is not report text: a Markdown
    table, braces (a placeholder the drafter could not fill), the prompt's own words, a
    unit written twice, Markdown or source tags left over. The same check runs on the draft
    and, in `drafter verify`, on what a model wrote in the document."""
    if text.count("|") + text.count("｜") >= 2:
        return [
            Debris(
                0,
                len(text),
                "模型回答中的 Markdown 表格，报告正文不能用表格",
                "不要用表格，把表格的内容改写成连贯的文字段落",
            )
        ]
    out: list[Debris] = []
    for match in PLACEHOLDER.finditer(text):
        out.append(
            Debris(
                match.start(),
                match.end(),
                f"不存在的占位符 {match.group(0)}",
                f"{match.group(0)} 不是列出的占位符：只用列出的占位符，列表中没有的数不要写",
            )
        )
    bare = PLACEHOLDER.sub(lambda m: "\x00" * len(m.group(0)), text)
    for match in re.finditer(r"[{}｛｝]", bare):
        out.append(
            Debris(
                max(0, match.start() - 4),
                min(len(text), match.end() + 4),
                "正文中留有花括号（占位符写法有误）",
                "占位符只能写成 {编号} 的形式，其他花括号删去",
            )
        )
        break
    for word in _patterns()["prompt_words"]:
        at = bare.find(word)
        if at >= 0:
            out.append(
                Debris(
                    at,
                    at + len(word),
                    f"正文中出现了提示词里的说法“{word}”",
                    f"报告正文不说“{word}”，删去或改成正式的说法",
                )
            )
    for match in re.finditer(r"\d(件|条|份|期|次|个|项|篇|场|家|人次)\1", text):
        out.append(
            Debris(
                match.start(),
                match.end(),
                f"单位重复（“{match.group(0)}”）",
                "占位符填入的数已经带单位，占位符后面不要再写单位",
            )
        )
    for match in _LEFTOVER.finditer(bare):
        out.append(
            Debris(
                match.start(),
                match.end(),
                f"正文中留有 Markdown 符号或依据标注（“{match.group(0)}”）",
                "不要使用 Markdown 符号；依据标注只写在句末方括号中",
            )
        )
        break
    return out
