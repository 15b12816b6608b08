"""The LLM drafter: a model writes the prose, the statistics give every number.

For each narrative part the model gets the prompt of `drafter.drafting.prompting` and answers in
plain text with `{placeholders}`, each sentence tagged with its source. The answer is cleaned
first (`drafter.drafting.cleaning`: chat talk, remarks, Markdown, placeholder variants, tags), then
the placeholders are filled (each number remembers where it came from) and the part is
reviewed the way `drafter verify` reviews a document a model wrote: numbers the model typed
(`drafter.verification.verify`), claims without a source in the notes or statistics
(`drafter.drafting.grounding`) and debris that could not be cleaned. Only what the model can act on
goes back to it, as a list that quotes each sentence and says what to do; an unsupported claim goes
back once. After at most `repairs` rounds, what still fails is kept and marked (highlighted and
commented in Word), never dropped; a number no source confirms is never dropped silently,
advice-level ones included (a year-on-year change that cannot be checked goes back and is
marked like any other). A model error falls back to the offline drafter for that part,
marked as such, unless the part already has a reviewed draft (the error came in a repair
round): that draft is kept with what is still wrong marked. All the calls of one draft share
the draft's deadline (`ChatModel.draft_deadline`); a part whose turn comes after it is drafted
offline. Parts are drafted concurrently; the preamble and the cover letter stay deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from drafter.checking.findings import Finding, Location, Severity
from drafter.drafting.cleaning import Sentence, clean_answer, debris_in
from drafter.drafting.grounding import Material
from drafter.drafting.llm import ChatModel, Deadline, ModelError
from drafter.drafting.offline import OfflineDrafter
from drafter.drafting.prompting import Prompts, build_messages
from drafter.formats import Layout
from drafter.report import EDITOR, Mark, Paragraph, Span, bare_text, sentence_spans
from drafter.statistics.quantities import Quantity, fill, plain_label
from drafter.statistics.stats import Stats
from drafter.verification.verify import Verifier, drafted_findings

Progress = Callable[[str, str], None]  # (part id, status text)

CLAIM = "W-CLAIM-UNSOURCED"
# Advice-level findings about a number the model wrote: advice in a document an editor
# checks, but a model's number that no source confirms must not pass unmarked.
NUMBER_ADVICE = frozenset({"A-NUM-YOY"})
EDITOR_DROPPED = "editor-dropped"  # not a finding: the new text lacks an editor sentence


@dataclass
class Issue:
    """Something wrong with a drafted part: marked in the document if it survives, and sent
    back to the model when the model can act on it (`instruction`)."""

    code: str
    message: str  # for the editor (the Word comment)
    paragraph: int | None  # index of the paragraph; None: the part as a whole
    span: tuple[int, int] | None
    instruction: str | None  # for the model; None when the model cannot act on it
    key: str = ""  # set for what goes back to the model only once (claims, editor sentences)


@dataclass
class Review:
    paragraphs: list[Paragraph] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # warnings for a repair round only


@dataclass
class Redraft:
    """What redrafting a part an editor changed starts from."""

    current: list[str]  # the part's paragraphs as the editor left them
    editor: list[str]  # the sentences the editor wrote (no drafter wrote them)


class LLMDrafter:
    """Drafts the narrative parts with a chat model; the rest like the offline drafter."""

    def __init__(
        self,
        stats: Stats,
        layout: Layout,
        quantities: dict[str, Quantity],
        chat: ChatModel,
        offline: OfflineDrafter,
        *,
        repairs: int = 2,
        workers: int = 4,
        prompts: Prompts | None = None,
        style: dict[str, str] | None = None,
        instructions: str | None = None,
        progress: Progress | None = None,
        corrected: list[tuple[Quantity, Quantity]] | None = None,
        previous: Stats | None = None,
        again: bool = False,
    ) -> None:
        self.stats = stats
        self.layout = layout
        self.quantities = quantities
        self.chat = chat
        self.offline = offline
        self.repairs = repairs
        self.workers = max(1, workers)
        self.prompts = prompts or Prompts()
        self.style = style or {}
        self.instructions = instructions
        self.progress = progress or (lambda part, status: None)
        self.corrected = corrected or []
        self.again = again
        base = {n: q for n, q in quantities.items() if q.kind != "change"}
        self.verifier = Verifier(stats, layout, base, previous)
        self.verifier.provenance.update(quantities)
        self.material = Material(stats, self.verifier.provenance, layout)
        self.id = chat.id
        self._done: dict[str, list[Paragraph]] = {}
        self._headings: dict[str, str] = {}
        self.calls = 0
        self.rounds: dict[str, int] = {}  # repair rounds per part
        self.redrafts: dict[str, Redraft] = {}
        self._deadline: Deadline | None = None  # the draft's, from its first call on
        self._deadline_lock = threading.Lock()

    # ---- the Drafter protocol (drafter.drafting.draft) -------------------------------------------

    def preamble(self) -> list[Paragraph]:
        return self.offline.preamble()

    def cover_letter_body(self) -> list[str]:
        return self.offline.cover_letter_body()

    def section(self, section_id: str, *, fee_statement: bool = False) -> list[Paragraph]:
        if section_id not in self._done:
            self._done[section_id] = self._draft(section_id, fee_statement)
        return self._done[section_id]

    def prepare(self, parts: list[tuple[str, str, bool]]) -> None:
        """Draft all parts (id, heading, fee statement) at once, concurrently."""
        self._headings = {part: heading for part, heading, _ in parts}
        todo = [(p, fee) for p, _, fee in parts if p not in self._done]
        if self.workers == 1 or len(todo) <= 1:
            for part, fee in todo:
                self._done[part] = self._draft(part, fee)
            return
        with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
            futures = {part: pool.submit(self._draft, part, fee) for part, fee in todo}
            for part, future in futures.items():
                self._done[part] = future.result()

    def redraft(
        self, part: str, current: list[str], editor: list[str], *, fee_statement: bool = False
    ) -> list[Paragraph]:
        """The part rewritten from its current text (the editor's changes included) and the
        instructions; the editor's sentences are kept unless the instructions say otherwise."""
        self.redrafts[part] = Redraft(current, editor)
        self._done[part] = self._draft(part, fee_statement)
        return self._done[part]

    # ---- one part -----------------------------------------------------------------------------

    def _heading(self, part: str) -> str:
        if part in self._headings:
            return self._headings[part]
        for section in self.layout.sections:
            if section.id == part:
                return section.heading
            for sub in section.subsections:
                if sub.id == part:
                    return sub.heading
        return part

    def _draft(self, part: str, fee_statement: bool) -> list[Paragraph]:
        heading = self._heading(part)
        redraft = self.redrafts.get(part)
        current = None
        if redraft is not None:
            editor = {s.strip() for s in redraft.editor}
            current = [_tag_editor(p, editor) for p in redraft.current]
        messages = build_messages(
            self.prompts,
            part,
            heading,
            self.stats,
            self.layout,
            self.quantities,
            fee_statement=fee_statement,
            style=self.style.get(part),
            instructions=self.instructions,
            corrected=self.corrected,
            current=current,
        )
        version = self._version(part, messages)
        review = Review()
        sent: set[str] = set()  # keyed issues already sent back (each goes back once)
        for attempt in range(1, self.repairs + 2):
            self.progress(part, "起草中" if attempt == 1 else f"第{attempt - 1}次修改")
            try:
                completion = self.chat.complete(
                    messages,
                    section=part,
                    attempt=attempt,
                    prompt_version=version,
                    until=self.deadline(),
                )
                self.calls += 0 if completion.cached else 1
            except ModelError as exc:
                if not review.paragraphs:
                    self.progress(part, f"模型出错，改用离线起草（{exc}）")
                    return self._fallback(part, fee_statement, str(exc))
                # A repair round failed: the reviewed draft stands, what is wrong marked.
                self.progress(part, f"修改时模型出错，保留上一稿（{exc}）")
                review.paragraphs[0].marks.append(
                    Mark(f"修改时调用模型 {self.chat.id} 失败（{exc}），标注的问题未能由模型改正")
                )
                break
            review = self.review(completion.text, part, fee_statement)
            if redraft is not None:
                self._keep_editor(review, redraft)
            to_send = [i for i in review.issues if i.instruction and i.key not in sent]
            if not to_send or attempt == self.repairs + 1:
                break
            self.rounds[part] = attempt
            sent.update(i.key for i in to_send if i.key)
            feedback = self.prompts.render(
                "repair.j2",
                problems=list(dict.fromkeys(i.instruction for i in to_send)),
                hints=review.hints,
            )
            messages = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": feedback},
            ]
        if not review.paragraphs:
            return self._fallback(part, fee_statement, "模型没有写出可用的正文")
        left = [i for i in review.issues if i.code != EDITOR_DROPPED]
        for issue in left:
            target = review.paragraphs[issue.paragraph or 0]
            target.marks.append(Mark(f"[{issue.code}] {issue.message}", issue.span))
        marked = len(left)
        self.progress(part, f"完成，{marked} 处已标注" if marked else "完成")
        return review.paragraphs

    def deadline(self) -> Deadline:
        """The draft's deadline: `draft_deadline` seconds after its first call."""
        with self._deadline_lock:
            if self._deadline is None:
                self._deadline = Deadline.after(self.chat.draft_deadline, "起草")
            return self._deadline

    def _version(self, part: str, messages: list[dict[str, str]]) -> str:
        """The prompt version, and with `again` the first variant not asked before (a fresh
        answer to the same request; without it an identical request is answered from the
        cache)."""
        version = self.prompts.version(part)
        if not self.again:
            return version
        variant = 1
        while self.chat.is_cached(messages, f"{version}+{variant}"):
            variant += 1
        return f"{version}+{variant}"

    def _fallback(self, part: str, fee_statement: bool, reason: str) -> list[Paragraph]:
        paragraphs = self.offline.section(part, fee_statement=fee_statement)
        if paragraphs:
            paragraphs[0].marks.append(
                Mark(f"调用模型 {self.chat.id} 失败（{reason}），本部分由离线模板起草")
            )
        return paragraphs

    # ---- reviewing an answer ------------------------------------------------------------------

    def review(self, text: str, part: str, fee_statement: bool = False) -> Review:
        """The answer as paragraphs (cleaned, placeholders filled), and what is wrong."""
        heading = self._heading(part)
        out = Review()
        cleaned = clean_answer(text, heading, self.quantities)
        redraft = self.redrafts.get(part)
        editor = {bare_text(s) for s in redraft.editor} if redraft is not None else set()

        def author(sentence: str) -> str:
            """Who answers for a sentence: the editor's sentences kept in a redraft are the
            editor's (not checked for sources), the rest the model's."""
            return EDITOR if bare_text(sentence) in editor else self.chat.id

        for index, sentences in enumerate(cleaned.paragraphs):
            paragraph = self._filled(sentences)
            out.paragraphs.append(paragraph)
            where = Location(section=heading, paragraph=index + 1)
            numbers = self.verifier.paragraph(paragraph.text, where, paragraph.spans)
            findings = numbers + drafted_findings(
                paragraph.text,
                where,
                paragraph.spans,
                author,
                self.material,
                numbers,
                self.verifier,
            )
            for finding in findings:
                if finding.severity is not Severity.ADVICE or finding.code in NUMBER_ADVICE:
                    out.issues.append(self._issue(finding, index, paragraph.text))
            out.hints += self.verifier.fit_hints(paragraph.text, paragraph.spans)
        if not out.paragraphs:
            out.issues.append(
                Issue("E-TEXT-DEBRIS", "没有写出正文", None, None, "请输出这一部分的正文")
            )
        elif fee_statement and not any("信息处理费" in p.text for p in out.paragraphs):
            out.issues.append(
                Issue(
                    "E-DOC-FEE",
                    "缺少信息处理费收取情况的说明（即使没有收取也要写明）",
                    0,
                    None,
                    "缺少信息处理费收取情况的说明：加一句（即使没有收取，也要写明“本年度未收取信息"
                    "处理费”）",
                )
            )
        return out

    def _filled(self, sentences: list[Sentence]) -> Paragraph:
        """One paragraph with its placeholders filled, remembering where each value stands."""
        text = ""
        spans: list[Span] = []
        used: list[str] = []
        for sentence in sentences:
            filled = fill(sentence.text, self.quantities)
            spans += [Span(s.start + len(text), s.end + len(text), s.name) for s in filled.spans]
            used += [n for n in filled.used if n not in used]
            text += filled.text
        return Paragraph(text, self.chat.id, tuple(used), spans=tuple(spans))

    def _issue(self, finding: Finding, index: int, text: str) -> Issue:
        where = finding.location
        span = where.span
        sentence = (where.sentence or text).strip()
        quoted = where.text or ""
        code = finding.code
        instruction: str | None
        if code == "E-TEXT-DEBRIS":
            fix = next(
                (d.fix for d in debris_in(text) if span and (d.start, d.end) == span),
                "删去这些不属于正文的内容",
            )
            instruction = f"“{_short(sentence)}”：{finding.message}。{fix}"
        elif code == CLAIM:
            why = finding.message.replace("，请核实或删去", "")
            instruction = (
                f"“{_short(sentence)}”中“{quoted}”：{why}。"
                "删除这句无素材依据的说法，或改为素材中的内容；不要改写成笼统、模糊的说法"
            )
        elif code == "E-NUM-UNKNOWN":
            instruction = (
                f"“{_short(sentence)}”中的“{quoted}”在统计数据中没有来源：删去这个数，如果这句话"
                "说的事素材中也没有，整句删去；不要改成“多次”“若干”等模糊说法"
            )
        elif code in ("E-NUM-MISMATCH", "E-NUM-APPROX", "E-NUM-UNIT", "W-NUM-UNSURE"):
            name = where.quantity
            if name is not None and name in self.quantities:
                instruction = (
                    f"“{_short(sentence)}”：用占位符 {{{name}}} 代替“{quoted}”"
                    f"（{plain_label(self.quantities[name])}，填入后为“{self.quantities[name].text()}”）；"
                    "如果说的不是这个数，删去“" + quoted + "”"
                )
            elif code == "W-NUM-UNSURE":
                instruction = (
                    f"“{_short(sentence)}”：数字只能用占位符写。“{quoted}”如果是列出的某个数，"
                    "用它的占位符代替；否则删去"
                )
            else:
                instruction = f"“{_short(sentence)}”：“{quoted}”与统计数据不符，删去这个数"
        elif code == "A-NUM-YOY":
            offered = any(q.kind == "change" for q in self.quantities.values())
            instead = (
                "改用列出的同比占位符（{yoy.…}、{yoy_pct.…}）；没有对应占位符的，"
                if offered
                else ""
            )
            instruction = (
                f"“{_short(sentence)}”中的“{quoted}”是与上年比较的数，无法核对：{instead}"
                "删去这个数和与上年比较的说法，不要改成“有所增长”等模糊说法"
            )
        elif code == "E-NUM-PERCENT":
            instruction = (
                f"“{_short(sentence)}”：删去自己计算的百分比“{quoted}”（比例只能用列出的占位符）"
            )
        elif code.startswith("E-CLAIM"):
            instruction = f"“{_short(sentence)}”：{finding.message}。改为与统计数据一致的说法"
        else:
            instruction = None
        key = f"{code}:{quoted}" if code == CLAIM else ""
        return Issue(code, finding.message, index, span, instruction, key)

    def _keep_editor(self, review: Review, redraft: Redraft) -> None:
        """The editor's sentences the new text lacks: sent back once, then reported."""
        text = bare_text("".join(p.text for p in review.paragraphs))
        for sentence in (s for s in redraft.editor if bare_text(s) not in text):
            review.issues.append(
                Issue(
                    EDITOR_DROPPED,
                    f"编辑写的句子“{sentence}”不在新稿中",
                    None,
                    None,
                    f"保留编辑写的句子“{sentence}”（原样保留，除非修改要求明确要求改动它）",
                    key=f"editor:{sentence}",
                )
            )


def _tag_editor(paragraph: str, editor: set[str]) -> str:
    """The paragraph with each sentence the editor wrote preceded by 【编辑】."""
    out = []
    for start, end in sentence_spans(paragraph):
        sentence = paragraph[start:end]
        out.append(("【编辑】" if sentence.strip() in editor else "") + sentence.strip())
    return "".join(out)


def _short(sentence: str, limit: int = 60) -> str:
    sentence = sentence.strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
