"""Endpoints that misbehave, over real HTTP against the stub server on 127.0.0.1: one that
never answers, one that sends a byte at a time, one that answers with megabytes, one that
thinks without closing the tag, one that writes a year-on-year change nobody can check.
Each call ends at its deadline however the server behaves, the draft goes on with the part
marked, and nothing unverified or oversized reaches the document, the model or the log.

Times are correctness bounds, not benchmarks: a call given a 1.5 s deadline must end well
before what per-read timeouts and retries would allow (30 s each here), so the bounds leave
seconds of slack for a loaded machine."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import base_data, dump_yaml
from docx import Document
from stub_openai import Reply, StubServer
from test_llm_http import all_text
from typer.testing import CliRunner

from drafter.audit import TEXT_LIMIT, AuditLog
from drafter.cli import app
from drafter.drafting.llm import ANSWER_LIMIT, ModelError, answer_text, openai_chat_model
from drafter.drafting.models import ModelSpec, load_models, resolve_model
from drafter.errors import InputError

DEADLINE = 1.5
SLACK = 5.0  # what a loaded machine may add to a deadline
MESSAGES = [
    {"role": "system", "content": "你是公文写作助手。"},
    {"role": "user", "content": "请写一句话。"},
]
REQUESTS = "（二）依申请公开"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_limits_from_the_shell(monkeypatch):
    for name in ("DRAFTER_DEADLINE", "DRAFTER_DRAFT_DEADLINE", "DRAFTER_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def chat_for(stub: StubServer, tmp_path: Path, **overrides):
    values = dict(
        id="stub",
        base_url=stub.base_url,
        model="m",
        timeout=30.0,  # per read: far longer than the deadline, as in the field
        max_retries=2,
        deadline=DEADLINE,
    )
    values.update(overrides)
    return openai_chat_model(ModelSpec(**values), AuditLog(tmp_path / "audit.db"))


def call_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("drafter-") and t.is_alive()]


def wait_for_call_threads(seconds: float) -> list[threading.Thread]:
    """The call threads still alive after waiting up to `seconds` for them to end."""
    end = time.monotonic() + seconds
    while call_threads() and time.monotonic() < end:
        time.sleep(0.05)
    return call_threads()


def is_requests_part(body: dict) -> bool:
    return REQUESTS in body["messages"][1]["content"][:200]


def stats_file(tmp_path: Path) -> Path:
    path = tmp_path / "stats.yaml"
    path.write_text(dump_yaml(base_data()), encoding="utf-8")
    return path


def use_stub(monkeypatch, stub: StubServer, **limits: float) -> None:
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    for name, seconds in limits.items():
        monkeypatch.setenv(name, str(seconds))


def draft(tmp_path: Path, *extra: str):
    out = tmp_path / "r.docx"
    start = time.monotonic()
    result = runner.invoke(
        app, ["draft", str(stats_file(tmp_path)), "-o", str(out), "--allow-errors", *extra]
    )
    return result, out, time.monotonic() - start


def first_paragraph(path: Path, heading: str) -> str:
    """The text of the paragraph after a heading."""
    texts = [p.text for p in Document(str(path)).paragraphs]
    return texts[texts.index(heading) + 1]


# ---- one call: the deadline --------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [Reply(hang=True), Reply(drip=0.2)],
    ids=["hang", "drip"],
)
def test_a_call_ends_at_its_deadline_however_the_server_stalls(stub, tmp_path, reply):
    stub.queue(reply, reply, reply)
    chat = chat_for(stub, tmp_path)
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"模型调用超过总时限（1\.5 秒）"):
        chat.complete(MESSAGES, section="overall.requests")
    elapsed = time.monotonic() - start
    assert DEADLINE - 0.1 <= elapsed < DEADLINE + SLACK  # not 30 s per read, times 3 tries
    [call] = chat.audit.recent()
    assert call.error == "模型调用超过总时限（1.5 秒）" and call.response is None
    # The call's thread does not stay blocked on the socket: closing the client ends it.
    assert wait_for_call_threads(DEADLINE + SLACK) == []
    if reply.drip is not None:  # the server sees the client go: its drip ends early
        end = time.monotonic() + SLACK
        while not stub.dripped and time.monotonic() < end:
            time.sleep(0.05)
        assert stub.dripped and stub.dripped[0] < 100


def test_retries_stay_within_the_deadline(stub, tmp_path):
    stub.queue(*[Reply(status=503, delay=0.6)] * 10)
    chat = chat_for(stub, tmp_path, max_retries=8)
    start = time.monotonic()
    with pytest.raises(ModelError, match="总时限"):
        chat.complete(MESSAGES)
    assert time.monotonic() - start < DEADLINE + SLACK
    assert len(stub.chat_requests()) <= 3  # no retry starts after the deadline
    assert wait_for_call_threads(SLACK) == []


def test_a_deadline_in_the_models_file_and_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "models.yaml"
    entry = {"id": "a", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
    path.write_text(dump_yaml({"models": [dict(entry, deadline=60, draft_deadline=600)]}))
    [spec], _ = load_models(path)
    assert (spec.deadline, spec.draft_deadline) == (60, 600)
    monkeypatch.setenv("DRAFTER_DEADLINE", "2.5")
    monkeypatch.setenv("DRAFTER_DRAFT_DEADLINE", "30")
    chosen = resolve_model("a", path=path)
    assert (chosen.deadline, chosen.draft_deadline) == (2.5, 30)  # the environment wins
    monkeypatch.setenv("DRAFTER_DEADLINE", "soon")
    with pytest.raises(InputError, match="DRAFTER_DEADLINE") as raised:
        resolve_model("a", path=path)
    assert raised.value.code == "E-MODEL-CONFIG"
    path.write_text(dump_yaml({"models": [dict(entry, deadline=0)]}))
    with pytest.raises(InputError, match="deadline 须为正的秒数"):
        load_models(path)
    [default], _ = load_models(_write(tmp_path / "plain.yaml", {"models": [entry]}))
    assert (default.deadline, default.draft_deadline) == (180, 900)


def _write(path: Path, data: dict) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


# ---- the draft: a stalled part is drafted offline, marked ----------------------------------------


def test_a_hung_part_is_drafted_offline_and_the_draft_completes(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub, DRAFTER_DEADLINE=DEADLINE)
    stub.answer = lambda body: Reply(hang=True) if is_requests_part(body) else None
    result, out, elapsed = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert elapsed < DEADLINE + 2 * SLACK
    assert "模型调用超过总时限（1.5 秒）" in result.output  # the part's progress line
    comments = [c.text for c in Document(str(out)).comments]
    assert any("总时限" in c and "离线模板" in c for c in comments)
    assert "drafter-ai-paragraphs" in all_text(out)  # the other parts are the model's


def test_the_draft_deadline_bounds_all_parts(stub, tmp_path, monkeypatch):
    # Every call hangs; the per-call deadline is long, the draft's short: the first parts are
    # cut at the draft's deadline, the rest are not even sent.
    use_stub(monkeypatch, stub, DRAFTER_DEADLINE=60, DRAFTER_DRAFT_DEADLINE=2)
    stub.answer = lambda body: Reply(hang=True)
    result, out, elapsed = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert elapsed < 2 + 2 * SLACK
    assert len(stub.chat_requests()) <= 4  # --workers 4: the rest start after the deadline
    comments = [c.text for c in Document(str(out)).comments]
    assert sum("起草超过总时限（2 秒）" in c for c in comments) == 8  # every narrative part


def test_the_process_exits_promptly_with_calls_still_hanging(stub, tmp_path):
    # A separate process: neither a thread waiting on a socket nor the pool of drafting
    # threads may hold up its exit once the draft is written.
    import subprocess
    import sys

    stub.answer = lambda body: Reply(hang=True)
    env = dict(
        os.environ,
        DRAFTER_BASE_URL=stub.base_url,
        DRAFTER_MODEL="m",
        DRAFTER_DEADLINE=str(DEADLINE),
        DRAFTER_TIMEOUT="60",
    )
    out = tmp_path / "r.docx"
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "drafter", "draft", str(stats_file(tmp_path)), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    # 8 parts, 4 at a time, each cut at 1.5 s: about 3 s of waiting, plus starting Python and
    # writing the document (a few seconds on a loaded machine); without the deadline, 60 s
    # per read and try
    assert elapsed < 2 * DEADLINE + 4 * SLACK
    assert out.exists() and "模型调用超过总时限" in done.stderr


def test_a_failed_repair_keeps_the_reviewed_draft_marked(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub, DRAFTER_DEADLINE=DEADLINE)
    seen: list[int] = []

    def answers(body):
        if not is_requests_part(body):
            return None
        seen.append(1)
        return "本年度共收到政府信息公开申请7件。[统计]" if len(seen) == 1 else Reply(hang=True)

    stub.answer = answers
    result, out, _ = draft(tmp_path)
    assert result.exit_code == 0, result.output
    # the model's draft, not the offline one
    assert first_paragraph(out, REQUESTS) == "本年度共收到政府信息公开申请7件。"
    comments = [c.text for c in Document(str(out)).comments]
    assert any("修改时调用模型" in c and "总时限" in c for c in comments)
    assert any("E-NUM-MISMATCH" in c and "7件" in c for c in comments)


# ---- reasoning -------------------------------------------------------------------------------------


def test_an_unclosed_think_never_reaches_the_document(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub)
    stub.answer = lambda body: (
        Reply(
            "本年度共收到政府信息公开申请{@applications.new_received}。[统计]",
            unclosed_think="用户要我写依申请公开部分，秘密推理：先列出数字……\n\n",
        )
        if is_requests_part(body)
        else None
    )
    result, out, _ = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert "秘密推理" not in all_text(out) and "<think>" not in all_text(out)
    comments = [c.text for c in Document(str(out)).comments]
    assert any("空回答（只有推理过程）" in c and "离线模板" in c for c in comments)


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        ("<think>推理</think>正文。", "正文。"),
        ("<think>推理还没写完", ""),
        ("正文。<think>后面又想了想", "正文。"),
        ("<thinking>推理</thinking>正文。", "正文。"),
        ("<reasoning>推理\n\n正文。", ""),
        ("<THINK>推理</THINK>正文。", "正文。"),
        ("推理被截去了开头</think>正文。", "正文。"),
        ("<think>一</think>正文。<think>二", "正文。"),
    ],
)
def test_reasoning_is_removed_closed_or_not(content, answer):
    from langchain_core.messages import AIMessage

    assert answer_text(AIMessage(content=content)) == answer


# ---- size --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_huge_answer_is_refused_while_it_arrives(stub, tmp_path, chunked):
    stub.queue(Reply(megabytes=5, chunked=chunked))
    chat = chat_for(stub, tmp_path, deadline=30)
    start = time.monotonic()
    with pytest.raises(ModelError, match="回答过长"):
        chat.complete(MESSAGES)
    assert time.monotonic() - start < SLACK
    [call] = chat.audit.recent()
    assert "回答过长" in call.error and call.response is None


def test_a_huge_answer_is_never_sent_back_and_the_log_stays_small(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub)
    stub.answer = lambda body: Reply(megabytes=5) if is_requests_part(body) else None
    result, out, _ = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert "回答过长" in result.output
    huge = "本年度共收到政府信息公开申请。" * 20
    assert not any(huge in str(r.body) for r in stub.chat_requests())  # never resent
    comments = [c.text for c in Document(str(out)).comments]
    assert any("回答过长" in c and "离线模板" in c for c in comments)
    database = Path(os.environ["DRAFTER_HOME"]) / "drafter.db"
    assert database.stat().st_size < 2_000_000


def test_an_answer_too_long_for_a_part_is_refused_and_logged_cut(stub, tmp_path):
    # 1 MB (about 350,000 characters) gets through the transport, and is refused by length.
    stub.queue(Reply(megabytes=1))
    chat = chat_for(stub, tmp_path)
    with pytest.raises(ModelError, match=f"字，一个部分不应超过 {ANSWER_LIMIT} 字"):
        chat.complete(MESSAGES)
    with sqlite3.connect(tmp_path / "audit.db") as db:
        [(length, error, truncated)] = db.execute(
            "SELECT length(response), error, truncated FROM calls"
        ).fetchall()
    assert length <= TEXT_LIMIT + 100 and truncated == 1 and "回答过长" in error
    stub.queue(Reply(megabytes=1))
    with pytest.raises(ModelError):  # never answered from the cache
        chat.complete(MESSAGES)
    assert len(stub.chat_requests()) == 2


def test_the_log_keeps_a_note_of_what_it_cut_and_never_serves_it(tmp_path):
    audit = AuditLog(tmp_path / "audit.db")
    long = "字" * (TEXT_LIMIT + 500)
    fields = dict(
        endpoint="e",
        model="m",
        section=None,
        attempt=1,
        prompt_version="v",
        parameters={},
        error=None,
        input_tokens=None,
        output_tokens=None,
        duration=0.1,
        cached=False,
    )
    audit.record(
        request="cut", messages=[{"role": "user", "content": long}], response=long, **fields
    )
    audit.record(request="whole", messages=MESSAGES, response="短的回答。", **fields)
    assert audit.cached("cut") is None  # a cut answer is never taken for the whole one
    assert audit.cached("whole") == ("短的回答。", None, None)
    stored = audit.recent()[1]
    assert stored.response.startswith("字" * 100) and "截去 500 字" in stored.response
    assert "截去 500 字" in stored.messages[0]["content"]


def test_an_old_log_without_the_truncated_column_still_works(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE calls (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, "
            "endpoint TEXT NOT NULL, model TEXT NOT NULL, section TEXT, attempt INTEGER, "
            "prompt_version TEXT, request_hash TEXT NOT NULL, messages TEXT NOT NULL, "
            "parameters TEXT NOT NULL, response TEXT, error TEXT, input_tokens INTEGER, "
            "output_tokens INTEGER, duration_ms INTEGER, cached INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute(
            "INSERT INTO calls (time, endpoint, model, request_hash, messages, parameters, "
            "response) VALUES ('t', 'e', 'm', 'h', '[]', '{}', '旧的回答。')"
        )
    assert AuditLog(path).cached("h") == ("旧的回答。", None, None)


def test_an_answer_just_under_the_limit_is_accepted(stub, tmp_path):
    stub.queue("字" * (ANSWER_LIMIT - 1))
    assert len(chat_for(stub, tmp_path).complete(MESSAGES).text) == ANSWER_LIMIT - 1


# ---- a year-on-year change nobody can check ------------------------------------------------------


YOY = "本年度共收到政府信息公开申请{@applications.new_received}，同比增长37.5%。[统计]"


def test_an_unverifiable_year_on_year_change_is_sent_back_then_marked(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub)
    stub.answer = lambda body: YOY if is_requests_part(body) else None
    result, out, _ = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert "A-NUM-YOY" in result.output
    requests = [r for r in stub.chat_requests() if is_requests_part(r.body)]
    assert len(requests) == 3  # the answer and two repairs
    feedback = requests[1].body["messages"][-1]["content"]
    assert "“37.5%”是与上年比较的数，无法核对" in feedback
    document = Document(str(out))
    highlighted = [r.text for p in document.paragraphs for r in p.runs if r.font.highlight_color]
    assert "37.5%" in highlighted
    assert any("A-NUM-YOY" in c.text and "37.5%" in c.text for c in document.comments)


def test_a_year_on_year_change_the_model_takes_back_is_not_marked(stub, tmp_path, monkeypatch):
    use_stub(monkeypatch, stub)
    answers = iter([YOY, "本年度共收到政府信息公开申请{@applications.new_received}。[统计]"])
    stub.answer = lambda body: next(answers) if is_requests_part(body) else None
    result, out, _ = draft(tmp_path)
    assert result.exit_code == 0, result.output
    assert first_paragraph(out, REQUESTS) == "本年度共收到政府信息公开申请3件。"
    assert not any("A-NUM-YOY" in c.text for c in Document(str(out)).comments)
