"""The LLM path over real HTTP: langchain-openai's ChatOpenAI against a stub
OpenAI-compatible server on 127.0.0.1 (real requests, real retries, real timeouts)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLE, base_data, dump_yaml
from docx import Document
from docx_edits import replace_text
from stub_openai import Reply, StubServer
from typer.testing import CliRunner

from drafter.audit import AuditLog
from drafter.cli import app
from drafter.drafting.draft import choose_drafter
from drafter.drafting.llm import ModelError, openai_chat_model
from drafter.drafting.models import ModelSpec
from drafter.formats import load_layout
from drafter.statistics.load import load_stats

KEY = "sk-test-0123456789abcdef"
MESSAGES = [
    {"role": "system", "content": "你是公文写作助手。"},
    {"role": "user", "content": "请写一句话。"},
]
runner = CliRunner()


def spec_for(stub: StubServer, **overrides) -> ModelSpec:
    values = dict(
        id="stub",
        base_url=stub.base_url,
        model="qwen-plus",
        key_env="STUB_KEY",
        timeout=10.0,
        max_retries=2,
    )
    values.update(overrides)
    return ModelSpec(**values)


def write_models(path: Path, entries: list[dict], default: str | None = None) -> None:
    data: dict = {"models": entries}
    if default is not None:
        data["default"] = default
    path.write_text(dump_yaml(data), encoding="utf-8")


def models_path() -> Path:
    import os

    return Path(os.environ["DRAFTER_MODELS"])


def stats_file(tmp_path: Path, data=None) -> Path:
    path = tmp_path / "stats.yaml"
    path.write_text(dump_yaml(data or base_data()), encoding="utf-8")
    return path


def all_text(path: Path) -> str:
    """Every XML part of a .docx as text (document, comments, properties)."""
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


# ---- the client ----------------------------------------------------------------------------


def test_model_name_base_url_and_key_reach_the_server(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", KEY)
    stub.queue("本年度工作有序开展。")
    audit = AuditLog(tmp_path / "audit.db")
    completion = openai_chat_model(spec_for(stub), audit).complete(MESSAGES, section="problems")
    assert completion.text == "本年度工作有序开展。" and not completion.cached
    [request] = stub.chat_requests()
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "qwen-plus"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert [m["content"] for m in request.body["messages"]] == [m["content"] for m in MESSAGES]
    assert request.body["max_tokens"] == 2048 and request.body["temperature"] == 0.3
    assert "max_completion_tokens" not in request.body  # compatible servers document max_tokens
    assert completion.input_tokens and completion.output_tokens  # usage is read
    audit.close()
    assert KEY.encode() not in (tmp_path / "audit.db").read_bytes()


def test_a_missing_key_variable_is_a_clear_error(stub, tmp_path):
    from drafter.errors import InputError

    with pytest.raises(InputError, match="STUB_KEY"):
        openai_chat_model(spec_for(stub), AuditLog(tmp_path / "audit.db"))


def test_429_then_200_is_retried_by_the_sdk(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", KEY)
    stub.queue(Reply(status=429), Reply("重试后的回答。"))
    chat = openai_chat_model(spec_for(stub, max_retries=2), AuditLog(tmp_path / "a.db"))
    assert chat.complete(MESSAGES).text == "重试后的回答。"
    assert len(stub.chat_requests()) == 2
    [call] = chat.audit.recent()  # one call in the log: the retries are the SDK's
    assert call.response == "重试后的回答。" and call.error is None


def test_without_retries_a_429_is_a_model_error(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", KEY)
    stub.queue(Reply(status=429))
    chat = openai_chat_model(spec_for(stub, max_retries=0), AuditLog(tmp_path / "a.db"))
    with pytest.raises(ModelError, match="HTTP 429"):
        chat.complete(MESSAGES)
    assert len(stub.chat_requests()) == 1
    [call] = chat.audit.recent()
    assert "429" in call.error and call.response is None


def test_the_thinking_switch_is_sent_only_when_configured(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_KEY", KEY)
    audit = AuditLog(tmp_path / "a.db")
    openai_chat_model(spec_for(stub, thinking={"enable_thinking": False}), audit).complete(MESSAGES)
    openai_chat_model(spec_for(stub), audit, use_cache=False).complete(MESSAGES)
    with_switch, without = stub.chat_requests()
    assert with_switch.body["enable_thinking"] is False
    assert "enable_thinking" not in without.body


def test_a_timeout_falls_back_to_the_offline_drafter(stub, tmp_path):
    write_models(
        models_path(),
        [{"id": "slow", "base_url": stub.base_url, "model": "m", "timeout": 0.5, "max_retries": 0}],
    )
    stub.queue(Reply(delay=3))
    stats = load_stats(stats_file(tmp_path))
    layout = load_layout(stats.format)
    drafter, notice = choose_drafter(stats, layout, model_id="slow", workers=1)
    assert "slow" in notice
    [paragraph, *_] = drafter.section("overall.requests")
    assert paragraph.author == "offline"
    assert any("请求超时" in m.message and "离线模板" in m.message for m in paragraph.marks)
    [call] = drafter.chat.audit.recent()
    assert call.error == "请求超时" and call.section == "overall.requests"


def test_reasoning_content_never_reaches_the_document(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "deepseek-reasoner")
    stub.latency = 0
    for _ in range(8):
        stub.queue(Reply(None, reasoning="推理过程：用户要我写一段话，秘密推理内容。"))
    out = tmp_path / "r.docx"
    result = runner.invoke(
        app, ["draft", str(stats_file(tmp_path)), "-o", str(out), "--allow-errors"]
    )
    assert result.exit_code == 0, result.output
    assert "秘密推理" not in all_text(out)


# ---- the whole command -----------------------------------------------------------------------


def test_draft_with_the_environment_endpoint_verifies_logs_and_caches(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "qwen-plus")
    monkeypatch.setenv("DRAFTER_API_KEY", KEY)
    out = tmp_path / "r.docx"
    first = runner.invoke(app, ["draft", str(SAMPLE), "-o", str(out), "--allow-errors"])
    assert first.exit_code == 0, first.output
    assert "正文由模型 env（qwen-plus）起草" in first.output
    sent = len(stub.chat_requests())
    assert sent >= 8  # one per narrative part, more if repaired
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in stub.chat_requests())
    document = Document(str(out))
    text = all_text(out)
    assert "drafter-ai-paragraphs" in text and KEY not in text
    assert KEY not in first.output

    # The same request again is answered from the audit log: no request reaches the server.
    second = runner.invoke(
        app, ["draft", str(SAMPLE), "-o", str(tmp_path / "again.docx"), "--allow-errors"]
    )
    assert second.exit_code == 0, second.output
    assert len(stub.chat_requests()) == sent
    assert Document(str(tmp_path / "again.docx")).paragraphs[3].text == document.paragraphs[3].text

    # --no-cache asks again.
    third = runner.invoke(
        app,
        ["draft", str(SAMPLE), "-o", str(tmp_path / "fresh.docx"), "--allow-errors", "--no-cache"],
    )
    assert third.exit_code == 0, third.output
    assert len(stub.chat_requests()) == 2 * sent

    logged = runner.invoke(app, ["log", "--json", "-n", "500"])
    assert logged.exit_code == 0
    calls = json.loads(logged.stdout)
    assert len(calls) == 3 * sent
    assert sum(c["cached"] for c in calls) == sent
    sections = {c["section"] for c in calls}
    assert {"overall.requests", "problems", "other"} <= sections
    assert all(c["messages"][0]["role"] == "system" for c in calls)
    assert all(c["model"] == "qwen-plus" and c["endpoint"] == stub.base_url for c in calls)
    assert KEY not in logged.stdout
    import os

    home = Path(os.environ["DRAFTER_HOME"])
    assert (home / "drafter.db").exists()
    stored = b"".join(p.read_bytes() for p in home.iterdir() if p.is_file())
    assert KEY.encode() not in stored

    table = runner.invoke(app, ["log", "-n", "3"])
    assert table.exit_code == 0 and "qwen-plus" in table.output and "缓存" not in table.output


def test_every_number_of_a_model_draft_is_verified_or_marked(stub, tmp_path, monkeypatch):
    """A model that writes one wrong number: it is sent back; when it insists, the number is
    highlighted and commented in Word, and `verify` finds it."""
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    wrong = "本年度共收到政府信息公开申请7件。"

    def answers(body):  # the requests part always gets the wrong number
        user = body["messages"][1]["content"]
        return wrong if "（二）依申请公开" in user.split("\n", 3)[0] + user[:200] else None

    stub.answer = answers
    out = tmp_path / "r.docx"
    result = runner.invoke(
        app, ["draft", str(stats_file(tmp_path)), "-o", str(out), "--allow-errors"]
    )
    assert result.exit_code == 0, result.output
    assert "E-NUM-MISMATCH" in result.output
    requests = [
        r
        for r in stub.chat_requests()
        if "（二）依申请公开" in r.body["messages"][1]["content"][:200]
    ]
    assert len(requests) == 3  # the answer and two repairs
    assert "7件" in requests[1].body["messages"][-1]["content"]
    document = Document(str(out))
    assert any("7件" in c.text for c in document.comments)
    highlighted = [r.text for p in document.paragraphs for r in p.runs if r.font.highlight_color]
    assert "7件" in highlighted
    verified = runner.invoke(app, ["verify", str(out), "--stats", str(stats_file(tmp_path))])
    assert verified.exit_code == 1 and "E-NUM-MISMATCH" in verified.output


# ---- the models file and `drafter models` -----------------------------------------------------


def test_models_lists_endpoints_and_never_a_key(stub, monkeypatch):
    monkeypatch.setenv("QWEN_KEY", KEY)
    monkeypatch.setenv("DRAFTER_API_KEY", KEY)
    monkeypatch.setenv("DRAFTER_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DRAFTER_MODEL", "local")
    write_models(
        models_path(),
        [
            {
                "id": "qwen",
                "base_url": stub.base_url,
                "model": "qwen-plus",
                "key_env": "QWEN_KEY",
                "thinking": {"enable_thinking": False},
            }
        ],
        default="qwen",
    )
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "qwen-plus" in result.output and "QWEN_KEY（已设置）" in result.output
    assert "local" in result.output and KEY not in result.output
    as_json = runner.invoke(app, ["models", "--json"])
    assert as_json.exit_code == 0 and KEY not in as_json.stdout
    assert {m["id"] for m in json.loads(as_json.stdout)["models"]} >= {"qwen"}


def test_the_example_models_file_is_valid_when_uncommented(tmp_path):
    from drafter.drafting.models import load_models

    example = runner.invoke(app, ["models", "--example"])
    assert example.exit_code == 0
    lines = example.stdout.splitlines()
    uncommented = "\n".join(
        line.replace("# ", "", 1) if line.startswith(("  # - id", "  #   ")) else line
        for line in lines
    )
    path = tmp_path / "models.yaml"
    path.write_text(uncommented, encoding="utf-8")
    specs, _ = load_models(path)
    assert {s.id for s in specs} == {
        "deepseek",
        "qwen",
        "glm",
        "moonshot",
        "ollama",
        "vllm",
        "llamacpp",
    }
    qwen = next(s for s in specs if s.id == "qwen")
    assert qwen.thinking == {"enable_thinking": False} and qwen.key_env == "DASHSCOPE_API_KEY"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "a", "base_url": "http://x/v1", "model": "m", "modle": "n"}, "未知的键 modle"),
        (
            {"id": "a", "base_url": "http://x/v1", "model": "m", "api_key": KEY},
            "不要在配置文件中写 API key",
        ),
        ({"id": "a", "model": "m"}, "缺少 base_url"),
        ({"id": "a", "base_url": "http://x/v1", "model": "m", "timeout": "soon"}, "值有误"),
    ],
)
def test_a_bad_models_file_is_one_located_line(tmp_path, entry, message):
    write_models(models_path(), [{"id": "ok", "base_url": "http://x/v1", "model": "m"}, entry])
    result = runner.invoke(
        app, ["draft", str(stats_file(tmp_path)), "-o", str(tmp_path / "r.docx")]
    )
    assert result.exit_code == 2
    [line] = [x for x in result.output.splitlines() if x.strip()]
    assert message in line and f"{models_path()}:" in line and "Traceback" not in result.output
    assert KEY not in result.output
    assert not (tmp_path / "r.docx").exists()


def test_model_choice_precedence(stub, tmp_path, monkeypatch):
    from drafter.drafting.models import resolve_model

    write_models(
        models_path(),
        [
            {"id": "a", "base_url": "http://a/v1", "model": "ma"},
            {"id": "b", "base_url": "http://b/v1", "model": "mb"},
        ],
        default="b",
    )
    assert resolve_model(None).id == "b"
    assert resolve_model("a").id == "a"
    assert resolve_model(None, offline=True) is None
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "from-env")
    assert resolve_model(None).model == "from-env"  # the environment wins over default
    assert resolve_model("a").id == "a"  # an explicit --model wins over both
    result = runner.invoke(
        app, ["draft", str(stats_file(tmp_path)), "-o", str(tmp_path / "r.docx"), "--model", "c"]
    )
    assert result.exit_code == 2 and "未知的模型 'c'" in result.output


def test_nothing_configured_drafts_offline_and_says_so(tmp_path):
    out = tmp_path / "r.docx"
    result = runner.invoke(app, ["draft", str(stats_file(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "离线起草器" in result.output and "未配置模型" in result.output
    assert "drafter-ai-paragraphs" not in all_text(out)


# ---- redraft ---------------------------------------------------------------------------------


def _body_elements(data: bytes) -> list[bytes]:
    from lxml import etree

    document = Document(io.BytesIO(data))
    return [etree.tostring(e, encoding="unicode") for e in document.element.body.iterchildren()]


def test_redraft_replaces_one_part_and_keeps_every_other_element(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    stats = stats_file(tmp_path)
    first = tmp_path / "r.docx"
    assert runner.invoke(app, ["draft", str(stats), "-o", str(first)]).exit_code == 0
    # The editor rewrites a sentence of another part and retypes a table cell.
    original = first.read_bytes()
    problems = next(
        p.text
        for p in Document(str(first)).paragraphs
        if p.text and "二、" not in p.text and "问题" in p.text
    )
    edited_bytes = replace_text(original, problems, "编辑改写的问题段落。")
    edited = tmp_path / "edited.docx"
    edited.write_bytes(edited_bytes)

    stub.queue("本年度共收到政府信息公开申请{@applications.new_received}，均已按时答复。")
    new = tmp_path / "new.docx"
    result = runner.invoke(
        app,
        [
            "redraft",
            str(edited),
            "--stats",
            str(stats),
            "--section",
            "overall.requests",
            "-o",
            str(new),
            "--instructions",
            "写得更简练",
        ],
    )
    assert result.exit_code == 0, result.output
    last = stub.chat_requests()[-1].body["messages"][1]["content"]
    assert "写得更简练" in last

    before, after = _body_elements(edited_bytes), _body_elements(new.read_bytes())
    texts = [p.text for p in Document(str(new)).paragraphs]
    assert "本年度共收到政府信息公开申请3件，均已按时答复。" in texts
    assert "编辑改写的问题段落。" in texts
    heading = next(i for i, e in enumerate(after) if "（二）依申请公开" in e)
    old_count = len(before) - len(after) + 1
    # everything before the part and everything after it is byte-identical XML
    assert before[: heading + 1] == after[: heading + 1]
    assert before[heading + 1 + old_count :] == after[heading + 2 :]
    assert edited.read_bytes() == edited_bytes  # the edited document is untouched


def test_redraft_refuses_to_overwrite_and_unknown_parts(tmp_path):
    stats = stats_file(tmp_path)
    doc = tmp_path / "r.docx"
    assert runner.invoke(app, ["draft", str(stats), "-o", str(doc)]).exit_code == 0
    same = runner.invoke(
        app, ["redraft", str(doc), "--stats", str(stats), "--section", "problems", "-o", str(doc)]
    )
    assert same.exit_code == 2 and "不能覆盖原文档" in same.output
    unknown = runner.invoke(
        app,
        [
            "redraft",
            str(doc),
            "--stats",
            str(stats),
            "--section",
            "overall.nothing",
            "-o",
            str(tmp_path / "n.docx"),
        ],
    )
    assert unknown.exit_code == 2 and "overall.requests" in unknown.output
    assert not (tmp_path / "n.docx").exists()


def test_the_length_field_can_be_the_newer_name(stub, tmp_path):
    spec = spec_for(stub, key_env=None, max_tokens=900, max_tokens_field="max_completion_tokens")
    openai_chat_model(spec, AuditLog(tmp_path / "a.db")).complete(MESSAGES)
    [request] = stub.chat_requests()
    assert request.body["max_completion_tokens"] == 900 and "max_tokens" not in request.body
    assert request.headers["authorization"] == "Bearer not-needed"  # a local server needs none


# ---- redraft that sees the text ----------------------------------------------------------------


def _drafted_and_edited(stub, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A model draft whose （二）依申请公开 part the editor extended by a sentence."""
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    stats = stats_file(tmp_path)
    first = tmp_path / "r.docx"
    assert runner.invoke(app, ["draft", str(stats), "-o", str(first)]).exit_code == 0
    texts = [p.text for p in Document(str(first)).paragraphs]
    own = texts[texts.index("（二）依申请公开") + 1]
    edited = tmp_path / "edited.docx"
    edited.write_bytes(
        replace_text(first.read_bytes(), own, own + "申请人均通过网上平台提交申请。")
    )
    return stats, edited


def _redraft(stats: Path, doc: Path, *extra: str):
    return runner.invoke(
        app,
        ["redraft", str(doc), "--stats", str(stats), "--section", "overall.requests", *extra],
    )


def test_redraft_sees_the_current_text_and_keeps_the_editors_sentences(stub, tmp_path, monkeypatch):
    stats, edited = _drafted_and_edited(stub, tmp_path, monkeypatch)
    before = len(stub.chat_requests())
    stub.queue(
        # the model drops the editor's sentence: it is sent back once
        "本年度共收到政府信息公开申请{@applications.new_received}。[统计]",
        "本年度共收到政府信息公开申请{@applications.new_received}。[统计]"
        "申请人均通过网上平台提交申请。[通用]",
    )
    new = tmp_path / "new.docx"
    result = _redraft(stats, edited, "-o", str(new), "--instructions", "写得更简练")
    assert result.exit_code == 0, result.output
    requests = stub.chat_requests()[before:]
    assert len(requests) == 2
    prompt = requests[0].body["messages"][1]["content"]
    current = prompt.split("<<<正文开始>>>")[1].split("<<<正文结束>>>")[0]
    assert "【编辑】申请人均通过网上平台提交申请。" in current  # the editor's, marked as such
    assert "本年新收的政府信息公开申请" in current  # the drafter's own text, unmarked
    assert "写得更简练" in prompt and "不得因此增加素材中没有的事实" in prompt
    assert (
        "保留编辑写的句子“申请人均通过网上平台提交申请。”"
        in requests[1].body["messages"][-1]["content"]
    )
    texts = [p.text for p in Document(str(new)).paragraphs]
    assert "本年度共收到政府信息公开申请3件。申请人均通过网上平台提交申请。" in texts
    assert "原 1 段将替换为 1 段（编辑写的句子 1 句，保留 1 句）" in result.output


def test_redraft_says_what_will_change_and_dry_run_writes_nothing(stub, tmp_path, monkeypatch):
    stats, edited = _drafted_and_edited(stub, tmp_path, monkeypatch)
    stub.queue(*["本年度共收到政府信息公开申请{@applications.new_received}。[统计]"] * 2)
    new = tmp_path / "new.docx"
    result = _redraft(stats, edited, "-o", str(new), "--dry-run", "--instructions", "更简练")
    assert result.exit_code == 0, result.output
    assert "将删去编辑写的句子：申请人均通过网上平台提交申请。" in result.output
    assert "本年度共收到政府信息公开申请3件。" in result.output and "未写文件" in result.output
    assert not new.exists()


def test_redraft_again_asks_afresh_while_the_same_request_is_free(stub, tmp_path, monkeypatch):
    stats, edited = _drafted_and_edited(stub, tmp_path, monkeypatch)
    answer = "本年度共收到政府信息公开申请{@applications.new_received}。[统计]申请人均通过网上平台提交申请。[通用]"
    stub.queue(answer)
    first = _redraft(stats, edited, "-o", str(tmp_path / "a.docx"), "--instructions", "简练")
    assert first.exit_code == 0, first.output
    sent = len(stub.chat_requests())
    same = _redraft(stats, edited, "-o", str(tmp_path / "b.docx"), "--instructions", "简练")
    assert same.exit_code == 0 and len(stub.chat_requests()) == sent  # from the cache
    assert "要换一种写法，加 --again" in same.output
    stub.queue(answer)
    again = _redraft(
        stats, edited, "-o", str(tmp_path / "c.docx"), "--instructions", "简练", "--again"
    )
    assert again.exit_code == 0, again.output
    assert len(stub.chat_requests()) == sent + 1
    stub.queue(answer)
    more = _redraft(
        stats, edited, "-o", str(tmp_path / "d.docx"), "--instructions", "简练", "--again"
    )
    assert more.exit_code == 0 and len(stub.chat_requests()) == sent + 2  # a third variant


def test_offline_redraft_cannot_follow_instructions_and_says_so(tmp_path):
    stats = stats_file(tmp_path)
    doc = tmp_path / "r.docx"
    assert runner.invoke(app, ["draft", str(stats), "-o", str(doc), "--offline"]).exit_code == 0
    result = _redraft(
        stats, doc, "-o", str(tmp_path / "n.docx"), "--offline", "--instructions", "简练"
    )
    assert result.exit_code == 2 and "离线起草器不能按修改要求改写" in result.output
    assert not (tmp_path / "n.docx").exists()


def test_draft_previous_offers_year_on_year_changes_to_the_model(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    this_year = base_data()
    last_year = dict(base_data(), year=2022)
    last_year["applications"] = dict(last_year["applications"])
    last_year["applications"]["carried_forward"] = this_year["applications"]["carried_over"]
    now = stats_file(tmp_path, this_year)
    before = tmp_path / "last.yaml"
    before.write_text(dump_yaml(last_year), encoding="utf-8")
    stub.answer = lambda body: (
        "本年度共收到政府信息公开申请{@applications.new_received}，与上年{yoy.applications.new_received}。[统计]"
        if "（二）依申请公开" in body["messages"][1]["content"]
        else None
    )
    out = tmp_path / "r.docx"
    result = runner.invoke(app, ["draft", str(now), "-o", str(out), "--previous", str(before)])
    assert result.exit_code == 0, result.output
    prompts = [r.body["messages"][1]["content"] for r in stub.chat_requests()]
    requests = next(p for p in prompts if "（二）依申请公开" in p)
    assert "{yoy.applications.new_received}" in requests and "上年3件，本年3件" in requests
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert "本年度共收到政府信息公开申请3件，与上年持平。" in texts
