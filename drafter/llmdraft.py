"""The LLM drafter: a model writes the prose, the statistics give every number.

For each narrative part the model gets the prompt of `drafter.prompting` and answers in plain
text with `{placeholders}`. The drafter substitutes the values and verifies the part like
editor text (`drafter.verify`). Unknown placeholders, numbers without a source and wrong
numbers go back to the model with the findings, at most `repairs` times; what still fails is
kept and marked (highlighted and commented in Word), never dropped. A model error (timeout,
HTTP error, empty answer) falls back to the offline drafter for that part, marked as such.
Parts are drafted concurrently; the preamble and the cover letter stay deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from drafter.findings import Location, Severity
from drafter.formats import Layout
from drafter.llm import ChatModel, ModelError
from drafter.offline import OfflineDrafter
from drafter.prompting import Prompts, build_messages
from drafter.quantities import PLACEHOLDER, Quantity, fill
from drafter.report import Mark, Paragraph
from drafter.stats import Stats
from drafter.verify import Verifier

Progress = Callable[[str, str], None]  # (part id, status text)

_MARKDOWN = re.compile(r"^\s*(?:#+\s*|[-*•]\s+|\*\*)|\*\*")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\S{0,28}$")


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
        self.verifier = Verifier(stats, layout, quantities)
        self.id = chat.id
        self._done: dict[str, list[Paragraph]] = {}
        self._headings: dict[str, str] = {}
        self.calls = 0

    # ---- the Drafter protocol (drafter.draft) ------------------------------------------------

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
        )
        version = self.prompts.version(part)
        paragraphs: list[Paragraph] = []
        problems: list[str] = []
        for attempt in range(1, self.repairs + 2):
            self.progress(part, "起草中" if attempt == 1 else f"第{attempt - 1}次修改")
            try:
                completion = self.chat.complete(
                    messages, section=part, attempt=attempt, prompt_version=version
                )
                self.calls += 0 if completion.cached else 1
            except ModelError as exc:
                self.progress(part, f"模型出错，改用离线起草（{exc}）")
                return self._fallback(part, fee_statement, str(exc))
            paragraphs, problems = self._check(completion.text, part, fee_statement)
            if not problems:
                self.progress(part, "完成")
                return paragraphs
            messages = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": _feedback(problems)},
            ]
        self.progress(part, f"仍有 {len(problems)} 处问题，已标注")
        if paragraphs:
            marked = {m.message for p in paragraphs for m in p.marks}
            for problem in problems:
                if problem.startswith("第") and any(problem.split(" ", 1)[-1] in m for m in marked):
                    continue  # already marked where it occurs
                if problem not in marked:
                    paragraphs[0].marks.append(Mark(f"模型起草后仍未解决：{problem}"))
        return paragraphs

    def _fallback(self, part: str, fee_statement: bool, reason: str) -> list[Paragraph]:
        paragraphs = self.offline.section(part, fee_statement=fee_statement)
        if paragraphs:
            paragraphs[0].marks.append(
                Mark(f"调用模型 {self.chat.id} 失败（{reason}），本部分由离线模板起草")
            )
        return paragraphs

    def _check(
        self, text: str, part: str, fee_statement: bool
    ) -> tuple[list[Paragraph], list[str]]:
        """The answer as paragraphs, and what is wrong with it (empty when nothing is)."""
        paragraphs: list[Paragraph] = []
        problems: list[str] = []
        blocks = [b for b in (_clean(line) for line in re.split(r"\n+", text)) if b]
        for number, block in enumerate(blocks, 1):
            filled = fill(block, self.quantities)
            paragraph = Paragraph(filled.text, self.chat.id, filled.used)
            for name in filled.unknown:
                problem = f"第{number}段使用了不存在的占位符 {{{name}}}，只能使用列出的占位符"
                problems.append(problem)
                placeholder = "{" + name + "}"
                start = filled.text.find(placeholder)
                paragraph.marks.append(Mark(problem, (start, start + len(placeholder))))
            where = Location(section=self._heading(part), paragraph=number)
            for finding in self.verifier.paragraph(filled.text, where):
                if finding.severity is Severity.ADVICE:
                    continue
                problem = f"第{number}段 {finding.message}"
                problems.append(problem)
                paragraph.marks.append(
                    Mark(f"[{finding.code}] {finding.message}", finding.location.span)
                )
            paragraphs.append(paragraph)
        if not paragraphs:
            problems.append("没有写出正文")
        elif fee_statement and not any("信息处理费" in p.text for p in paragraphs):
            problems.append("缺少信息处理费收取情况的说明（即使没有收取也要写明）")
        return paragraphs, problems


def _clean(line: str) -> str:
    """One paragraph of the answer without Markdown and without a repeated heading."""
    line = _MARKDOWN.sub("", line).strip()
    if _HEADING.match(line):
        return ""
    return line


def _feedback(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        "上面的稿子有以下问题，请改正后重新输出这一部分的全部正文（仍只输出正文段落，"
        "数字只用列出的占位符）：\n" + listed
    )


def placeholders_in(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]
