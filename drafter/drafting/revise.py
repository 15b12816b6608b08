"""Revising one part by the editor's instruction: the chat panel beside each part.

The editor types an instruction ("压缩到200字", "语气更正式"); the model proposes a rewrite of
the part from its current text (the editor's, as it stands), and the proposal is verified
before anyone sees it, then shown as a diff against the current text to accept, edit or
reject. Nothing here is a second pipeline: the request is the drafting prompt of
`drafter.drafting.prompting` with the current text and the instruction (`prompts/user.j2`) plus
`prompts/revise.j2` (the earlier turns, the rules of a revision); the answer goes through the
LLM drafter's review (`LLMDrafter.review`: cleaning, placeholders filled, numbers verified,
claims grounded) and, when the model can fix what is wrong, one repair round
(`prompts/repair.j2`), as in a draft.

The numbers of the current text that are exactly the text of one quantity the part may state
("3件") are given to the model as that placeholder, so a rewrite keeps them verifiable; any
other number stays as written and is verified in the answer like a number the model typed.
An instruction cannot buy an unverified number: every number of the proposal is verified,
and a wrong one is an error finding (`ok` is False). Every call goes into the audit log with
the section `revise:<part>` (what `drafter log` shows), and `Proposal.calls` holds their ids.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from drafter.checking.findings import Finding, Location, Severity
from drafter.drafting.llm import ChatModel, Deadline, ModelError
from drafter.drafting.llmdraft import LLMDrafter, Redraft
from drafter.drafting.models import ModelSpec
from drafter.drafting.prompting import Prompts, build_messages, material
from drafter.errors import InputError
from drafter.formats import Layout
from drafter.report import EDITOR, Paragraph
from drafter.statistics.quantities import Quantity
from drafter.statistics.stats import Stats
from drafter.verification.verify import drafted_findings

INSTRUCTION_LIMIT = 500  # characters of one instruction
HISTORY_TURNS = 6  # earlier turns (instruction and proposal) sent to the model
HISTORY_MESSAGE_LIMIT = 2_000  # characters of one earlier message
KIND = "revise"  # the audit log's section is f"{KIND}:{part}"
NO_MODEL = "未配置模型，无法按指令改写；可直接编辑文字"
# Delimiters the prompt uses around material: an instruction must not be able to close them.
_DELIMITERS = re.compile(r"<<<|>>>")


class NoModel(Exception):
    """No model is configured: the panel says so (`str(exc)`) and the editor edits by hand."""

    def __init__(self, message: str = NO_MODEL) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class DiffOp:
    """One run of the diff: `equal`, `insert`, `delete` or `replace`, with the current
    text's run (`old`) and the proposal's (`new`)."""

    op: str
    old: str
    new: str


@dataclass
class Proposal:
    text: str  # the proposed part, paragraphs separated by "\n", numbers filled
    paragraphs: list[Paragraph]  # the same, with where each filled number stands
    findings: list[Finding]  # the verification of the proposal
    diff: list[DiffOp]  # against the current text, by characters
    ok: bool  # no error findings
    turn: list[dict[str, str]]  # the user and assistant messages to append to the history
    calls: list[int] = field(default_factory=list)  # audit log ids of the model calls
    repaired: bool = False  # a repair round was asked for

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "diff": [{"op": d.op, "old": d.old, "new": d.new} for d in self.diff],
            "turn": self.turn,
            "calls": self.calls,
            "repaired": self.repaired,
        }


def propose_revision(
    *,
    stats: Stats,
    layout: Layout,
    part_id: str,
    current_text: str,
    instruction: str,
    history: list[dict[str, str]],
    model_spec_or_chat: ModelSpec | ChatModel | None,
    previous: Stats | None = None,
    prompts: Prompts | None = None,
    use_cache: bool = True,
) -> Proposal:
    """The model's rewrite of one part by the editor's instruction, verified, with its diff
    against `current_text`. `history` is this part's conversation so far (messages with
    `role` user/assistant, as `Proposal.turn` gives them); the last `HISTORY_TURNS` turns are
    sent. Raises NoModel without a model, InputError for an unknown part or an empty
    instruction, ModelError when the model gives no answer at all (a failed repair round
    keeps the first proposal)."""
    from drafter.drafting.draft import drafting_quantities, narrative_parts
    from drafter.drafting.offline import OfflineDrafter
    from drafter.drafting.redraft import part_heading

    if model_spec_or_chat is None:
        raise NoModel()
    heading, _ = part_heading(layout, part_id)  # InputError for an unknown part
    fee_statement = next((f for p, _, f in narrative_parts(layout) if p == part_id), False)
    wish = _cap(_DELIMITERS.sub("", instruction).strip(), INSTRUCTION_LIMIT)
    if not wish:
        raise InputError("请写明修改要求", code="E-USAGE")
    chat = _chat(model_spec_or_chat, use_cache, stats)
    prompts = prompts or Prompts()
    known, corrected = drafting_quantities(stats, layout, previous)
    current = [p.strip() for p in current_text.splitlines() if p.strip()]
    # The LLM drafter reviews answers: the current text's sentences kept as they are stay the
    # editor's (not checked for sources; their numbers are verified all the same).
    drafter = LLMDrafter(
        stats,
        layout,
        known,
        chat,
        OfflineDrafter(stats, layout, known),
        repairs=1,
        workers=1,
        prompts=prompts,
        corrected=corrected,
        previous=previous,
    )
    editor = _sentences(current)
    drafter.redrafts[part_id] = Redraft(current, editor)
    offered = {o.name for o in material(part_id, stats, layout, known, corrected).offered}
    shown = [as_placeholders(p, {n: known[n] for n in offered}) for p in current]
    messages = build_messages(
        prompts,
        part_id,
        heading,
        stats,
        layout,
        known,
        fee_statement=fee_statement,
        corrected=corrected,
        current=shown,
        instructions=wish,
    )
    earlier = bounded_history(history)
    addendum = prompts.render("revise.j2", heading=heading, history=earlier)
    messages[-1] = {"role": "user", "content": messages[-1]["content"] + "\n\n" + addendum}
    version = _version(prompts, part_id)
    until = Deadline.after(2 * chat.deadline, "改写")  # the answer and one repair round
    calls: list[int] = []
    review = None
    repaired = False
    for attempt in (1, 2):
        try:
            completion = chat.complete(
                messages,
                section=f"{KIND}:{part_id}",
                attempt=attempt,
                prompt_version=version,
                until=until,
            )
        except ModelError:
            if review is None:
                raise
            break  # the repair round failed: the first proposal stands, findings and all
        if completion.call is not None:
            calls.append(completion.call)
        review = drafter.review(completion.text, part_id, fee_statement)
        to_send = [i for i in review.issues if i.instruction]
        if not to_send or attempt == 2:
            break
        repaired = True
        feedback = prompts.render(
            "repair.j2",
            problems=list(dict.fromkeys(i.instruction for i in to_send)),
            hints=review.hints,
        )
        messages = [
            *messages,
            {"role": "assistant", "content": completion.text},
            {"role": "user", "content": feedback},
        ]
    assert review is not None
    findings = _findings(drafter, review.paragraphs, review.issues, heading, editor)
    text = "\n".join(p.text for p in review.paragraphs)
    return Proposal(
        text=text,
        paragraphs=review.paragraphs,
        findings=findings,
        diff=diff(current_text.strip(), text),
        ok=not any(f.severity is Severity.ERROR for f in findings),
        turn=[{"role": "user", "content": wish}, {"role": "assistant", "content": text}],
        calls=calls,
        repaired=repaired,
    )


def _chat(model: ModelSpec | ChatModel, use_cache: bool, stats: Stats) -> ChatModel:
    if isinstance(model, ChatModel):
        return model
    from drafter.audit import AuditLog, report_key
    from drafter.drafting.llm import openai_chat_model

    audit = AuditLog(report=report_key(stats.agency, stats.year))
    return openai_chat_model(model, audit, use_cache=use_cache)


def _version(prompts: Prompts, part: str) -> str:
    """The prompt version of a revision: the drafting prompt's and revise.j2's."""
    digest = hashlib.sha256(prompts.read("revise.j2").encode("utf-8")).hexdigest()[:8]
    return f"{prompts.version(part)}+{KIND}-{digest}"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded_history(history: list[dict[str, str]]) -> list[dict[str, str]]:
    """The last HISTORY_TURNS turns (two messages each) of a conversation, each message
    capped and stripped of the prompt's delimiters; anything but user/assistant is dropped."""
    messages = [
        {
            "role": m["role"],
            "content": _cap(_DELIMITERS.sub("", str(m["content"])).strip(), HISTORY_MESSAGE_LIMIT),
        }
        for m in history
        if isinstance(m, dict) and m.get("role") in ("user", "assistant") and m.get("content")
    ]
    return messages[-2 * HISTORY_TURNS :]


def _sentences(paragraphs: list[str]) -> list[str]:
    from drafter.report import sentence_spans

    return [p[s:e].strip() for p in paragraphs for s, e in sentence_spans(p) if p[s:e].strip()]


def as_placeholders(text: str, quantities: dict[str, Quantity]) -> str:
    """`text` with each number that is exactly the text of one of `quantities` ("3件",
    "近100件") replaced by its placeholder; a text two quantities share, and any other number,
    stays as written."""
    by_text: dict[str, list[str]] = {}
    for name, quantity in quantities.items():
        if quantity.value is not None and any(c.isdigit() for c in quantity.text()):
            by_text.setdefault(quantity.text(), []).append(name)
    unique = {t: names[0] for t, names in by_text.items() if len(names) == 1}
    if not unique:
        return text
    pattern = re.compile(
        r"(?<![0-9.．])(?:"
        + "|".join(re.escape(t) for t in sorted(unique, key=len, reverse=True))
        + r")(?![0-9.．%％])"
    )
    return pattern.sub(lambda m: "{" + unique[m.group(0)] + "}", text)


def _findings(
    drafter: LLMDrafter,
    paragraphs: list[Paragraph],
    issues: list[Any],
    heading: str,
    editor_sentences: list[str],
) -> list[Finding]:
    """The verification of the proposal, as `drafter verify` would report it: the numbers,
    the claims the model wrote, debris; and what the review found about the part as a whole
    (nothing written, no 信息处理费 statement)."""
    editor = {_bare(s) for s in editor_sentences}

    def author(sentence: str) -> str:
        return EDITOR if _bare(sentence) in editor else drafter.chat.id

    out: list[Finding] = []
    for index, paragraph in enumerate(paragraphs):
        where = Location(section=heading, paragraph=index + 1)
        numbers = drafter.verifier.paragraph(paragraph.text, where, paragraph.spans)
        out += numbers + drafted_findings(
            paragraph.text,
            where,
            paragraph.spans,
            author,
            drafter.material,
            numbers,
            drafter.verifier,
        )
    for issue in issues:  # about the part as a whole, not about a sentence
        if issue.code in ("E-DOC-FEE", "E-TEXT-DEBRIS") and issue.span is None:
            out.append(Finding(issue.code, issue.message, Location(section=heading)))
    return out


def _bare(text: str) -> str:
    from drafter.report import bare_text

    return bare_text(text)


def diff(old: str, new: str) -> list[DiffOp]:
    """The changes from `old` to `new` by characters (Chinese has no spaces to split words
    at), with equal runs of a single character between two changes folded into the change
    around them, so that a rewritten sentence reads as one replacement."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append(DiffOp(tag, old[i1:i2], new[j1:j2]))
    merged: list[DiffOp] = []
    for index, op in enumerate(ops):
        between = 0 < index < len(ops) - 1
        if (
            op.op == "equal"
            and between
            and len(op.old) <= 1
            and merged
            and merged[-1].op != "equal"
        ):
            last = merged.pop()
            merged.append(_change(last.old + op.old, last.new + op.new))
            continue
        if merged and op.op != "equal" and merged[-1].op != "equal":
            last = merged.pop()
            merged.append(_change(last.old + op.old, last.new + op.new))
            continue
        merged.append(op)
    return merged


def _change(old: str, new: str) -> DiffOp:
    if not old:
        return DiffOp("insert", "", new)
    if not new:
        return DiffOp("delete", old, "")
    return DiffOp("replace", old, new)
