"""起草 · 对话修改: beside each narrative part, a chat panel (issue 13, item 6).

The editor types an instruction ("压缩到200字"); the library's
`drafter.drafting.revise.propose_revision` has the configured model rewrite the part from its
current text and verifies the proposal; the panel shows it as a diff against the current text with
the verification, to accept (a versioned save of the part's text, stale base → 409, as the part's
own editor saves), to take into the editor, or to reject.

The conversation of a part is a versioned JSON document of the workspace (kind "chat", named
by the part id): every turn with its instruction, the proposal and its diff against the text
it was made from, its findings, the audit log's call ids, who asked and when, and what became
of it. It is the history the next instruction is sent with. Nothing is stored when the model
gives no answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, one_line
from drafter.web.site import (
    DraftView,
    Site,
    base_version,
    json_bytes,
    paragraph_texts,
)
from drafter.workspace import NotFound, StaleVersion, local_time

KIND = "chat"  # the workspace's kind of a part's conversation (named by the part id)
NO_MODEL = "未配置模型，无法对话修改。可直接编辑本部分，或按 README 配置模型。"
MAX_TURNS = 50  # turns kept in the head version; older ones stay in the earlier versions
SHOWN_TURNS = 10  # turns the panel shows
SAVE_ATTEMPTS = 3  # a turn appended while another request saved the conversation: again
OUTCOMES = {
    "pending": "待处理",
    "accepted": "已采纳",
    "edited": "已放入编辑框",
    "rejected": "已放弃",
}


def configured_model() -> Any:
    """The model the panel revises with: the default one of `drafter models` (the
    environment's DRAFTER_BASE_URL/DRAFTER_MODEL, else the models file's default), or None.
    InputError when the configuration cannot be read. Tests put a fake chat model here."""
    from drafter.drafting.models import resolve_model

    return resolve_model(None)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def history(conversation: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation as `propose_revision` takes it: each turn's instruction and proposal."""
    messages = []
    for turn in conversation["turns"]:
        messages += [
            {"role": "user", "content": turn["instruction"]},
            {"role": "assistant", "content": turn["proposal"]},
        ]
    return messages


def register(app: FastAPI, site: Site) -> None:
    def load(report_id: int, part_id: str) -> tuple[int | None, dict[str, Any]]:
        head = site.workspace.head(report_id, KIND, part_id)
        if head is None:
            return None, {"format": 1, "part": part_id, "turns": []}
        content = site.workspace.read(report_id, KIND, part_id, head.number)
        return head.number, json.loads(content)

    def store(request: Request, report_id: int, part_id: str, change: Any, message: str) -> dict:
        """Apply `change` (a function of the conversation, in place) to the head version and
        save it; when another request saved in between, again on the new head (a turn is
        only ever appended or decided, so the two changes merge)."""
        for attempt in range(SAVE_ATTEMPTS):
            number, conversation = load(report_id, part_id)
            change(conversation)
            conversation["turns"] = conversation["turns"][-MAX_TURNS:]
            try:
                site.save(
                    report_id, KIND, part_id, json_bytes(conversation), base_version=number,
                    author=site.author(request), message=message,
                )  # fmt: skip
                return conversation
            except StaleVersion:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def narrative(view: DraftView, part_id: str) -> dict[str, Any]:
        """The part of the marked draft, 404 when the draft has no such part or it is not
        one the model writes (the 前言, the tables)."""
        from drafter.drafting.draft import narrative_parts

        part = site.part_of(site.draft_context(view), part_id)
        assert view.checked.result is not None
        if part_id not in {p for p, _, _ in narrative_parts(view.checked.result.layout)}:
            raise HTTPException(404, "这一部分是前言或统计表，不能对话修改")
        return part

    def panel(conversation: dict[str, Any], **more: Any) -> dict[str, Any]:
        """What _chat.html shows: the last turns, newest last."""
        turns = conversation["turns"]
        shown = [
            {
                **turn,
                "when": local_time(turn["time"]),
                "outcome_zh": OUTCOMES.get(turn["outcome"], turn["outcome"]),
                "errors": sum(f["severity"] == "error" for f in turn["findings"]),
            }
            for turn in turns[-SHOWN_TURNS:]
        ]
        return {
            "turns": shown,
            "earlier": len(turns) - len(shown),
            "no_model": None,
            "error": None,
            "notice": None,
            "conflict": None,
            "instruction": "",
            **more,
        }

    def model_or_reason() -> tuple[Any, str | None]:
        """The configured model, or why the panel cannot use one (one line)."""
        try:
            model = configured_model()
        except InputError as exc:
            return None, f"模型配置有误，无法对话修改：{one_line(str(exc))}"
        return model, None if model is not None else NO_MODEL

    def show(request: Request, view: DraftView, part: dict, chat: dict, status: int = 200):
        return site.page(
            request, "_chat.html", status=status, report=view.report, part=part, chat=chat
        )

    @app.get("/reports/{report_id}/draft/parts/{part_id}/chat", response_class=HTMLResponse)
    def chat_panel(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        view = site.draft_view(request, report_id)
        part = narrative(view, part_id)
        _model, reason = model_or_reason()
        _number, conversation = load(report_id, part_id)
        return show(request, view, part, panel(conversation, no_model=reason))

    @app.post("/reports/{report_id}/draft/parts/{part_id}/chat", response_class=HTMLResponse)
    async def ask(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(ask_with, request, report_id, part_id, form)

    def ask_with(request: Request, report_id: int, part_id: str, form: Any) -> HTMLResponse:
        from drafter.drafting.llm import ModelError
        from drafter.drafting.revise import INSTRUCTION_LIMIT, propose_revision

        view = site.draft_view(request, report_id)
        part = narrative(view, part_id)
        _number, conversation = load(report_id, part_id)
        model, reason = model_or_reason()
        if model is None:  # said plainly, whatever was asked
            return show(request, view, part, panel(conversation, no_model=reason))
        instruction = form.get("instruction")
        instruction = instruction.strip() if isinstance(instruction, str) else ""
        if not instruction:
            return show(request, view, part, panel(conversation, error="请写明修改要求"), 400)
        if len(instruction) > INSTRUCTION_LIMIT:
            chat = panel(
                conversation,
                instruction=instruction[:INSTRUCTION_LIMIT],
                error=f"修改要求过长（{len(instruction)} 字，上限 {INSTRUCTION_LIMIT} 字），"
                "未发送。请分几次提出",
            )
            return show(request, view, part, chat, status=400)
        assert view.checked.result is not None
        current = "\n".join(paragraph_texts(part["text"]))
        try:
            proposal = propose_revision(
                stats=view.checked.result.stats,
                layout=view.checked.result.layout,
                part_id=part_id,
                current_text=current,
                instruction=instruction,
                history=history(conversation),
                model_spec_or_chat=model,
            )
        except (ModelError, InputError) as exc:  # nothing to show, nothing stored
            chat = panel(
                conversation,
                instruction=instruction,
                error=f"模型未能给出改写稿（{one_line(str(exc))}），未保存。可稍后重试",
            )
            return show(request, view, part, chat)
        turn = {
            "instruction": proposal.turn[0]["content"],  # as the model was given it
            "proposal": proposal.text,
            "diff": [{"op": d.op, "old": d.old, "new": d.new} for d in proposal.diff],
            "ok": proposal.ok,
            "repaired": proposal.repaired,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity.value,
                    "severity_zh": f.severity.zh,
                    "where": f.location.label(),
                    "message": f.message,
                }
                for f in proposal.findings
            ],
            "calls": proposal.calls,
            "base_version": view.head.number,
            "user": site.author(request),
            "time": _now(),
            "outcome": "pending",
        }

        def append(conversation: dict[str, Any]) -> None:
            turns = conversation["turns"]
            turn["id"] = max((t["id"] for t in turns), default=0) + 1
            turns.append(turn)

        saved = store(
            request, report_id, part_id, append, f"对话修改“{part['heading']}”：{instruction}"[:200]
        )
        return show(request, view, part, panel(saved))

    # The decisions target the part (its box, the panel open inside): an accepted proposal
    # changes the part's text and the summary, and every refusal is shown where it was asked.

    def with_part(
        request: Request, report_id: int, part_id: str, status: int = 200, oob: bool = False,
        **shown: Any,
    ) -> HTMLResponse:  # fmt: skip
        context = site.draft_context(site.draft_view(request, report_id))
        _number, conversation = load(report_id, part_id)
        return site.page(
            request, "_part.html", status=status, part=site.part_of(context, part_id),
            chat=panel(conversation, **shown), oob=oob, **context,
        )  # fmt: skip

    def pending(request: Request, report_id: int, part_id: str, turn_id: int) -> Any:
        """The part, the turn waiting for a decision and the draft view; or the response
        refusing a turn already decided (409). 404 for a turn that does not exist."""
        view = site.draft_view(request, report_id)
        part = narrative(view, part_id)
        _number, conversation = load(report_id, part_id)
        turn = next((t for t in conversation["turns"] if t["id"] == turn_id), None)
        if turn is None:
            raise HTTPException(404, "没有这一轮对话")
        if turn["outcome"] != "pending":
            done = OUTCOMES.get(turn["outcome"], turn["outcome"])
            error = f"第 {turn_id} 轮的改写稿已处理（{done}），未再处理"
            return with_part(request, report_id, part_id, status=409, error=error)
        return view, part, turn

    def decide(request: Request, report_id: int, part_id: str, turn_id: int, **fields: Any):
        def change(conversation: dict[str, Any]) -> None:
            for turn in conversation["turns"]:  # an accepted proposal stays accepted
                if turn["id"] == turn_id and turn["outcome"] != "accepted":
                    turn.update(fields, decided_by=site.author(request), decided_at=_now())

        label = OUTCOMES[fields["outcome"]]
        store(request, report_id, part_id, change, f"第 {turn_id} 轮改写稿{label}")

    @app.post(
        "/reports/{report_id}/draft/parts/{part_id}/chat/{turn_id}/accept",
        response_class=HTMLResponse,
    )
    async def accept(request: Request, report_id: int, part_id: str, turn_id: int) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(accept_with, request, report_id, part_id, turn_id, form)

    def accept_with(
        request: Request, report_id: int, part_id: str, turn_id: int, form: Any
    ) -> HTMLResponse:
        found = pending(request, report_id, part_id, turn_id)
        if isinstance(found, HTMLResponse):
            return found
        view, part, turn = found
        if not turn["ok"] and form.get("confirm") != "1":
            error = "改写稿有错误：须先勾选“我已看到以上错误”，才能仍然采纳。未保存"
            return with_part(request, report_id, part_id, status=400, error=error)
        # The same versioned save as the part's own editor (drafter.web.pages.draft).
        try:
            head = site.save_part(
                request, view, part_id, turn["proposal"],
                base=base_version(form.get("base_version")),
                message=f"采纳对话修改“{part['heading']}”（第 {turn_id} 轮）",
            )  # fmt: skip
        except (StaleVersion, NotFound) as exc:  # nothing overwritten; the part as it is now
            return with_part(request, report_id, part_id, status=409, oob=True, conflict=str(exc))
        decide(request, report_id, part_id, turn_id, outcome="accepted", saved_version=head.number)
        notice = f"已采纳第 {turn_id} 轮改写稿，草稿保存为版本 {head.number}"
        return with_part(request, report_id, part_id, oob=True, notice=notice)

    @app.post(
        "/reports/{report_id}/draft/parts/{part_id}/chat/{turn_id}/edit",
        response_class=HTMLResponse,
    )
    def take_into_editor(
        request: Request, report_id: int, part_id: str, turn_id: int
    ) -> HTMLResponse:
        found = pending(request, report_id, part_id, turn_id)
        if isinstance(found, HTMLResponse):
            return found
        view, part, turn = found
        decide(request, report_id, part_id, turn_id, outcome="edited")
        text = "\n\n".join(paragraph_texts(turn["proposal"]))
        return site.page(
            request,
            "_part_edit.html",
            part=dict(part, text=text),
            base_version=turn["base_version"],  # a change since the proposal is not overwritten
            from_chat=turn_id,
            **site.draft_context(view),
        )

    @app.post(
        "/reports/{report_id}/draft/parts/{part_id}/chat/{turn_id}/reject",
        response_class=HTMLResponse,
    )
    def reject(request: Request, report_id: int, part_id: str, turn_id: int) -> HTMLResponse:
        found = pending(request, report_id, part_id, turn_id)
        if isinstance(found, HTMLResponse):
            return found
        decide(request, report_id, part_id, turn_id, outcome="rejected")
        notice = f"已放弃第 {turn_id} 轮改写稿；本部分的文字未改动"
        return with_part(request, report_id, part_id, notice=notice)
