"""`drafter serve` (issue 13, item 6): the chat panel beside each part of the 起草 page. An
instruction gets the model's rewrite of the part, verified, shown as a diff to accept, take
into the editor or reject; the conversation is a versioned document of the workspace and the
history of the next instruction. Fake chat models, and the stub OpenAI-compatible server on
127.0.0.1 for the real request; no network."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from stub_openai import Reply
from test_web_draft import drafted, edit, number_span, part_text

from drafter.audit import AuditLog
from drafter.drafting.llm import ChatModel
from drafter.web.app import create_app
from drafter.web.pages import chat as chat_page
from drafter.workspace import DB_NAME, MIGRATIONS, Workspace

PART = "overall.requests"
GOOD = "本年度新收政府信息公开申请{@applications.new_received}，已全部依法办结。[统计]"
GOOD_TEXT = "本年度新收政府信息公开申请1件，已全部依法办结。"
WRONG = "本年度新收政府信息公开申请5件，已全部依法办结。[统计]"
SECRET = "sk-test-do-not-leak-0123456789abcdef"
DRAFT = "起草"


class Recording:
    """langchain's fake chat model, answering in order and keeping every prompt."""

    def __init__(self, *answers: str) -> None:
        self.fake = GenericFakeChatModel(messages=iter([AIMessage(content=a) for a in answers]))
        self.prompts: list[list[Any]] = []

    def invoke(self, messages: list[Any]) -> Any:
        self.prompts.append(messages)
        return self.fake.invoke(messages)

    def user_prompt(self, call: int = -1) -> str:
        return self.prompts[call][1].content


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Configures the panel's model as a fake one with these answers; returns the fake."""
    audits: list[AuditLog] = []

    def configure(*answers: str) -> Recording:
        recording = Recording(*answers)
        audit = AuditLog()  # DRAFTER_HOME is a temporary directory (conftest)
        audits.append(audit)
        model = ChatModel(
            recording, id="fake-model", endpoint="fake://", model="fake", parameters={}, audit=audit
        )
        monkeypatch.setattr(chat_page, "configured_model", lambda: model)
        return recording

    yield configure
    for audit in audits:
        audit.close()


def headers(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": token(client), "HX-Request": "true"}


def ask(client: TestClient, report_id: int, instruction: str, part: str = PART, **extra: str):
    return client.post(
        f"/reports/{report_id}/draft/parts/{part}/chat",
        data={"instruction": instruction, **extra},
        headers=headers(client),
    )


def act(client: TestClient, report_id: int, turn: int, action: str, part: str = PART, **data):
    return client.post(
        f"/reports/{report_id}/draft/parts/{part}/chat/{turn}/{action}",
        data=data,
        headers=headers(client),
    )


def conversation(workspace: Workspace, report_id: int, part: str = PART) -> dict[str, Any]:
    return json.loads(workspace.read(report_id, "chat", part))


def stored_part(workspace: Workspace, report_id: int, part: str = PART) -> list[str]:
    return json.loads(workspace.read(report_id, "draft", DRAFT))["parts"][part]


def draft_head(workspace: Workspace, report_id: int) -> int:
    return workspace.head(report_id, "draft", DRAFT).number


# ---- the hook, and without a model ---------------------------------------------------------------


def test_each_narrative_part_has_a_chat_panel_hook(client: TestClient) -> None:
    report_id = drafted(client)
    page = client.get(f"/reports/{report_id}/draft").text
    hook = f'hx-get="/reports/{report_id}/draft/parts/{PART}/chat" hx-trigger="toggle once"'
    assert hook in page
    assert "/draft/parts/preamble/chat" not in page  # the 前言 is written from templates
    assert "/draft/parts/proactive/chat" not in page  # a table
    assert "<script>" not in page  # no inline script (the CSP allows 'self' only)


def test_without_a_model_the_panel_says_so_plainly(client: TestClient, workspace) -> None:
    report_id = drafted(client)
    panel = client.get(f"/reports/{report_id}/draft/parts/{PART}/chat")
    assert panel.status_code == 200
    assert (
        chat_page.NO_MODEL == "未配置模型，无法对话修改。可直接编辑本部分，或按 README 配置模型。"
    )
    assert chat_page.NO_MODEL in panel.text
    assert 'name="instruction"' not in panel.text  # no input
    posted = ask(client, report_id, "语气更正式")
    assert posted.status_code == 200
    assert chat_page.NO_MODEL in posted.text and 'name="instruction"' not in posted.text
    assert workspace.head(report_id, "chat", PART) is None  # nothing stored


def test_a_broken_model_configuration_is_one_line(
    client: TestClient, workspace, tmp_path: Path, monkeypatch
) -> None:
    models = tmp_path / "models.yaml"
    models.write_text("models: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_MODELS", str(models))
    report_id = drafted(client)
    posted = ask(client, report_id, "语气更正式")
    assert posted.status_code == 200
    assert "模型配置有误，无法对话修改" in posted.text and 'name="instruction"' not in posted.text
    assert workspace.head(report_id, "chat", PART) is None


# ---- a proposal ------------------------------------------------------------------------------------


def test_an_instruction_gets_a_verified_proposal_as_a_diff(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    model = fake(GOOD)
    panel = client.get(f"/reports/{report_id}/draft/parts/{PART}/chat").text
    assert 'name="instruction"' in panel and 'maxlength="500"' in panel
    assert "正在生成…" in panel  # the button while the model works (htmx-request)
    response = ask(client, report_id, "压缩到50字")
    assert response.status_code == 200, response.text
    page = response.text
    # the request: the part's current text and the instruction
    prompt = model.user_prompt()
    assert "【本次修改要求】" in prompt and "压缩到50字" in prompt
    before = part_text(client.get(f"/reports/{report_id}/draft").text, PART)
    assert before.splitlines()[0][:12] in prompt
    # the diff: deletions struck through, insertions underlined, together both texts
    diff = re.search(r'<div class="chat-diff"[^>]*>(.*?)</div>', page, re.S)[1]
    assert "<del>" in diff and "<ins>" in diff
    new = re.sub(r"<del>.*?</del>", "", diff, flags=re.S)
    assert re.sub(r"<[^>]+>", "", new) == GOOD_TEXT
    # verified, and the three actions
    assert "核对通过" in page
    assert ">采纳</button>" in page and ">修改后采纳</button>" in page and ">放弃</button>" in page
    assert "仍然采纳" not in page
    # stored: the turn, pending, with who asked and the audit log's call
    [turn] = conversation(workspace, report_id)["turns"]
    assert turn["instruction"] == "压缩到50字" and turn["proposal"] == GOOD_TEXT
    assert turn["outcome"] == "pending" and turn["ok"] is True and turn["user"] == "本机用户"
    assert turn["base_version"] == draft_head(workspace, report_id)
    audit = AuditLog()
    calls = audit.recent()
    audit.close()
    assert [c.id for c in calls] == turn["calls"]
    assert calls[0].section == f"revise:{PART}"
    assert f"审计日志 #{turn['calls'][0]}" in page
    assert stored_part(workspace, report_id) == [p for p in before.split("\n\n") if p]  # unchanged


def test_a_wrong_number_is_shown_and_not_accepted_silently(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    fake(WRONG, WRONG)  # the repair round keeps it wrong
    page = ask(client, report_id, "语气更正式").text
    assert 'class="alert error chat-verdict" role="alert"' in page
    assert "核对发现 1 个错误" in page and "E-NUM-MISMATCH" in page and "“5件”" in page
    # no plain 采纳: only 仍然采纳, behind a checkbox the browser requires
    assert ">采纳</button>" not in page and "仍然采纳" in page
    assert re.search(r'<input type="checkbox" name="confirm" value="1" required>', page)
    head = draft_head(workspace, report_id)
    refused = act(client, report_id, 1, "accept", base_version=str(head))
    assert refused.status_code == 400 and "须先勾选“我已看到以上错误”" in refused.text
    assert refused.text.startswith('<div class="part-box')  # shown in the part, not a page
    assert draft_head(workspace, report_id) == head
    assert conversation(workspace, report_id)["turns"][0]["outcome"] == "pending"
    # accepted anyway, explicitly: saved, and the part shows the wrong number marked
    taken = act(client, report_id, 1, "accept", base_version=str(head), confirm="1")
    assert taken.status_code == 200, taken.text
    assert 'class="num error"' in number_span(taken.text, "5件")
    assert draft_head(workspace, report_id) == head + 1


# ---- accept, take into the editor, reject ----------------------------------------------------------


def test_accept_saves_a_new_version_and_the_part_shows_it_marked(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    fake(GOOD)
    ask(client, report_id, "压缩到50字")
    head = draft_head(workspace, report_id)
    response = act(client, report_id, 1, "accept", base_version=str(head))
    assert response.status_code == 200, response.text
    assert draft_head(workspace, report_id) == head + 1
    assert stored_part(workspace, report_id) == [GOOD_TEXT]
    assert workspace.history(report_id, "draft", DRAFT)[-1].message.startswith("采纳对话修改")
    # the part re-rendered with its number marked, the summary updated out of band
    assert response.text.startswith('<div class="part-box')
    assert 'class="num ok"' in number_span(response.text, "1件")
    assert 'id="draft-summary" class="card findings draft-summary" hx-swap-oob="true"' in (
        response.text
    )
    assert f"草稿保存为版本 {head + 1}" in response.text and "已采纳" in response.text
    [turn] = conversation(workspace, report_id)["turns"]
    assert turn["outcome"] == "accepted" and turn["saved_version"] == head + 1
    assert turn["decided_by"] == "本机用户"
    # after a reload too
    page = client.get(f"/reports/{report_id}/draft").text
    assert part_text(page, PART) == GOOD_TEXT
    # a decided turn cannot be decided again
    again = act(client, report_id, 1, "accept", base_version=str(head + 1))
    assert again.status_code == 409 and "已处理" in again.text
    assert draft_head(workspace, report_id) == head + 1


def test_accept_on_a_stale_base_is_409_and_overwrites_nothing(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    fake(GOOD)
    ask(client, report_id, "压缩到50字")
    base = draft_head(workspace, report_id)
    # someone saves the part in between
    theirs = "本年度收到政府信息公开申请1件，已按时答复。"
    assert edit(client, report_id, PART, theirs, base).status_code == 200
    response = act(client, report_id, 1, "accept", base_version=str(base))
    assert response.status_code == 409
    assert "未采纳：保存失败：此文档已被" in response.text
    assert "已按时答复" in response.text  # the part as it now stands
    assert draft_head(workspace, report_id) == base + 1
    assert stored_part(workspace, report_id) == [theirs]
    assert conversation(workspace, report_id)["turns"][0]["outcome"] == "pending"


def test_reject_is_recorded_and_the_part_is_unchanged(client: TestClient, workspace, fake) -> None:
    report_id = drafted(client)
    fake(GOOD)
    ask(client, report_id, "压缩到50字")
    head = draft_head(workspace, report_id)
    before = stored_part(workspace, report_id)
    response = act(client, report_id, 1, "reject")
    assert response.status_code == 200
    assert "已放弃第 1 轮改写稿" in response.text and "<del>" not in response.text
    assert response.text.startswith('<div class="part-box')
    assert draft_head(workspace, report_id) == head and stored_part(workspace, report_id) == before
    [turn] = conversation(workspace, report_id)["turns"]
    assert turn["outcome"] == "rejected" and turn["decided_by"] == "本机用户"
    versions = workspace.history(report_id, "chat", PART)
    assert [v.number for v in versions] == [1, 2]  # asked, then rejected: two versions


def test_take_into_the_editor_puts_the_proposal_in_the_textarea(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    fake(GOOD)
    ask(client, report_id, "压缩到50字")
    base = draft_head(workspace, report_id)
    response = act(client, report_id, 1, "edit")
    assert response.status_code == 200
    assert re.search(rf"<textarea name=\"text\"[^>]*>{GOOD_TEXT}</textarea>", response.text)
    assert f'name="base_version" value="{base}"' in response.text  # the proposal's base
    assert "已放入第 1 轮对话的改写稿" in response.text
    assert conversation(workspace, report_id)["turns"][0]["outcome"] == "edited"
    assert draft_head(workspace, report_id) == base  # nothing saved until the editor saves


# ---- the conversation ------------------------------------------------------------------------------


def test_the_conversation_persists_and_is_the_next_history(
    client: TestClient, workspace, fake, tmp_path: Path
) -> None:
    report_id = drafted(client)
    fake(GOOD)
    ask(client, report_id, "压缩到50字")
    act(client, report_id, 1, "reject")
    workspace.close()
    # a new app on the same workspace folder: the server restarted
    with Workspace.open(tmp_path / "ws") as reopened:
        again = TestClient(create_app(reopened, host="127.0.0.1"))
        assert again.get("/").status_code == 200
        panel = again.get(f"/reports/{report_id}/draft/parts/{PART}/chat").text
        assert "压缩到50字" in panel and "已放弃" in panel
        model = fake(GOOD)
        response = ask(again, report_id, "语气更正式")
        assert response.status_code == 200
        prompt = model.user_prompt()
        assert "【这一部分此前的修改对话】" in prompt
        assert "编辑：压缩到50字" in prompt and f"改写稿：{GOOD_TEXT}" in prompt
        stored = conversation(reopened, report_id)
        assert [t["id"] for t in stored["turns"]] == [1, 2]
        assert [t["outcome"] for t in stored["turns"]] == ["rejected", "pending"]


def test_a_model_error_is_one_line_and_nothing_is_stored(
    client: TestClient, workspace, fake
) -> None:
    report_id = drafted(client)
    fake()  # no answer at all
    response = ask(client, report_id, "语气更正式")
    assert response.status_code == 200
    line = re.search(r'<p class="alert error chat-error" role="alert">([^<]*)</p>', response.text)
    assert line and line[1].startswith("模型未能给出改写稿") and "\n" not in line[1]
    assert "语气更正式</textarea>" in response.text  # the instruction kept to send again
    assert workspace.head(report_id, "chat", PART) is None


# ---- refusals --------------------------------------------------------------------------------------


def test_an_over_long_or_empty_instruction_is_400(client: TestClient, workspace, fake) -> None:
    report_id = drafted(client)
    model = fake(GOOD)
    long = ask(client, report_id, "写得更具体" * 101)
    assert long.status_code == 400
    assert "修改要求过长（505 字，上限 500 字）" in long.text
    empty = ask(client, report_id, "   ")
    assert empty.status_code == 400 and "请写明修改要求" in empty.text
    assert empty.text.startswith('<div class="chat-panel')  # shown in the panel, not a page
    assert model.prompts == [] and workspace.head(report_id, "chat", PART) is None


def test_csrf_is_required(client: TestClient, workspace, fake) -> None:
    report_id = drafted(client)
    fake(GOOD, GOOD)
    bad = {"X-CSRF-Token": "x" * 43}
    refused = client.post(
        f"/reports/{report_id}/draft/parts/{PART}/chat", data={"instruction": "语气更正式"}
    )
    assert refused.status_code == 403
    refused = client.post(
        f"/reports/{report_id}/draft/parts/{PART}/chat",
        data={"instruction": "语气更正式"},
        headers=bad,
    )
    assert refused.status_code == 403
    assert workspace.head(report_id, "chat", PART) is None
    assert ask(client, report_id, "语气更正式").status_code == 200
    head = draft_head(workspace, report_id)
    for action in ("accept", "edit", "reject"):
        refused = client.post(
            f"/reports/{report_id}/draft/parts/{PART}/chat/1/{action}",
            data={"base_version": str(head)},
            headers=bad,
        )
        assert refused.status_code == 403, action
    assert draft_head(workspace, report_id) == head
    assert conversation(workspace, report_id)["turns"][0]["outcome"] == "pending"


def test_unknown_parts_and_turns_are_404(client: TestClient, fake) -> None:
    report_id = drafted(client)
    fake(GOOD)
    assert client.get(f"/reports/{report_id}/draft/parts/nope/chat").status_code == 404
    assert ask(client, report_id, "语气更正式", part="nope").status_code == 404
    assert ask(client, report_id, "语气更正式", part="preamble").status_code == 404
    assert client.get(f"/reports/{report_id}/draft/parts/proactive/chat").status_code == 404
    assert act(client, report_id, 1, "accept", base_version="1").status_code == 404
    assert client.get("/reports/999/draft/parts/overall.requests/chat").status_code == 404


# ---- over HTTP: the stub server on 127.0.0.1 ------------------------------------------------------


def test_end_to_end_over_http_with_the_stub_server(
    client: TestClient, workspace, stub, monkeypatch
) -> None:
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "qwen-plus")
    monkeypatch.setenv("DRAFTER_API_KEY", SECRET)
    report_id = drafted(client)
    seen: list[str] = []
    panel = client.get(f"/reports/{report_id}/draft/parts/{PART}/chat")
    seen.append(panel.text)
    assert 'name="instruction"' in panel.text
    stub.queue(GOOD)
    response = ask(client, report_id, "更具体地写改进措施")
    seen.append(response.text)
    assert response.status_code == 200, response.text
    assert "核对通过" in response.text and "<ins>" in response.text
    [request] = stub.chat_requests()
    assert request.body["model"] == "qwen-plus"
    assert "更具体地写改进措施" in request.body["messages"][1]["content"]
    assert request.headers["authorization"] == f"Bearer {SECRET}"  # sent to the endpoint only
    [turn] = conversation(workspace, report_id)["turns"]
    audit = AuditLog()
    calls = audit.recent()
    audit.close()
    assert [c.id for c in calls] == turn["calls"] and calls[0].section == f"revise:{PART}"
    assert calls[0].response == GOOD and calls[0].error is None
    head = draft_head(workspace, report_id)
    accepted = act(client, report_id, 1, "accept", base_version=str(head))
    seen.append(accepted.text)
    assert accepted.status_code == 200 and stored_part(workspace, report_id) == [GOOD_TEXT]
    # the next instruction carries the conversation; an HTTP error is one line, nothing stored
    stub.queue(GOOD)
    seen.append(ask(client, report_id, "语气更正式").text)
    assert "编辑：更具体地写改进措施" in stub.chat_requests()[1].body["messages"][1]["content"]
    stub.queue(Reply(status=401))  # a wrong key: not retried
    failed = ask(client, report_id, "再压缩一些")
    seen.append(failed.text)
    assert failed.status_code == 200 and "模型未能给出改写稿" in failed.text
    assert "HTTP 401" in failed.text
    assert len(conversation(workspace, report_id)["turns"]) == 2
    seen.append(client.get(f"/reports/{report_id}/draft").text)
    seen.append(client.get(f"/reports/{report_id}/draft/parts/{PART}/chat").text)
    assert all(SECRET not in text for text in seen)
    assert SECRET.encode() not in (workspace.folder / DB_NAME).read_bytes()
    assert SECRET.encode() not in audit.path.read_bytes()


# ---- the workspace's kind "chat" -------------------------------------------------------------------


def test_an_older_workspace_gets_the_chat_kind_and_keeps_its_documents(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    with sqlite3.connect(folder / DB_NAME) as db:  # a workspace of the first schema
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.executescript(MIGRATIONS[0])
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute("INSERT INTO reports VALUES (1, '某局', 2023, '2024-01-01T00:00:00Z')")
        db.execute("INSERT INTO documents VALUES (7, 1, 'draft', '起草')")
        db.execute("INSERT INTO blobs VALUES ('abc', 2, x'7b7d')")
        db.execute(
            "INSERT INTO versions (document_id, number, sha256, author, created) "
            "VALUES (7, 1, 'abc', '甲', '2024-01-01T00:00:00Z')"
        )
    with Workspace.open(folder) as ws:
        assert ws.read(1, "draft", "起草") == b"{}"
        saved = ws.save(1, "chat", PART, b"{}", base_version=None, author="乙")
        assert saved.number == 1
        assert ws.save(1, "draft", "起草", b"[]", base_version=1, author="乙").number == 2
        assert ws._db().execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):  # the references still hold
            ws._db().execute(
                "INSERT INTO versions (document_id, number, sha256, author, created) "
                "VALUES (99, 1, 'abc', '甲', 't')"
            )
