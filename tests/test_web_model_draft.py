"""`drafter serve` (issue 13, item 5): drafting with a configured model on the 起草 page, in a
worker thread, followed part by part through Server-Sent Events, through FastAPI's test
client against the stub OpenAI-compatible server on 127.0.0.1 (tests/stub_openai.py): no
network."""

from __future__ import annotations

import html
import json
import re
import threading
from pathlib import Path
from typing import Any

import browser_support
import pytest
from conftest import ROOT, SAMPLE, dump_yaml, report_with
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from stub_openai import Reply, StubServer, drafting_answer

from drafter.audit import AuditLog
from drafter.drafting.draft import narrative_parts
from drafter.formats import load_layout

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"  # no errors
KEY = "sk-web-FAKE-0123456789-recognisable"
MODEL = "env"  # the id of the model given by DRAFTER_BASE_URL / DRAFTER_MODEL
PARTS = [part for part, _heading, _fee in narrative_parts(load_layout("gov-info-disclosure-2021"))]
HEADINGS = {p: h for p, h, _fee in narrative_parts(load_layout("gov-info-disclosure-2021"))}
REQUESTS = "overall.requests"
WRONG = "本年度共收到政府信息公开申请99件。[统计]"  # the sample's table 三 says 0
GENERIC = "按照要求认真开展相关工作。"  # what the stub writes in a part with nothing to state


@pytest.fixture
def model(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> StubServer:
    """The stub configured as the environment's model, with a recognisable fake key."""
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "stub-model")
    monkeypatch.setenv("DRAFTER_API_KEY", KEY)
    return stub


def models_file(stub: StubServer, monkeypatch: pytest.MonkeyPatch, **entry: Any) -> str:
    """The stub in the models file as `quick`: no retries (a failure costs no backoff)."""
    import os

    values = {
        "id": "quick",
        "base_url": stub.base_url,
        "model": "stub-model",
        "key_env": "STUB_KEY",
        "max_retries": 0,
        **entry,
    }
    Path(os.environ["DRAFTER_MODELS"]).write_text(dump_yaml({"models": [values]}), "utf-8")
    monkeypatch.setenv("STUB_KEY", KEY)
    return "quick"


def part_of(body: dict[str, Any]) -> str | None:
    """The part a drafting request is about (the prompt names its heading)."""
    first = body["messages"][1]["content"]
    return next((p for p, h in HEADINGS.items() if f"起草报告中“{h}”部分" in first), None)


def hongjiang(client: TestClient) -> int:
    return report_with(client, HONGJIANG, "洪江市沅江路街道办事处")


def start(client: TestClient, report_id: int, drafter: str = MODEL, **fields: str):
    return client.post(
        f"/reports/{report_id}/draft",
        data={"csrf_token": token(client), "drafter": drafter, **fields},
        follow_redirects=False,
    )


def events(client: TestClient, report_id: int, **headers: str) -> list[tuple[str, str, Any]]:
    """The event stream of the report's draft, read to its end: (id, event, data)."""
    with client.stream("GET", f"/reports/{report_id}/draft/events", headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields.get("id", ""), fields["event"], json.loads(fields["data"])))
    return out


def stored(workspace, report_id: int) -> dict[str, Any]:
    head = workspace.head(report_id, "draft", "起草")
    return json.loads(workspace.read(report_id, "draft", "起草", head.number))


def number_span(page: str, text: str) -> str:
    match = re.search(rf'<span class="num [a-z]+"[^>]*>{re.escape(text)}</span>', page)
    assert match, text
    return match.group()


def section(page: str, part: str) -> str:
    match = re.search(
        rf'<section class="part" data-part="{re.escape(part)}">(.*?)</section>', page, re.S
    )
    assert match, part
    return match[1]


# ---- choosing ---------------------------------------------------------------------------------


def test_without_a_model_the_start_page_says_so_and_offers_offline_only(client: TestClient) -> None:
    report_id = hongjiang(client)
    page = client.get(f"/reports/{report_id}/draft").text
    assert "未配置模型：只能离线起草。配置方法见 README" in page
    assert re.findall(r'name="drafter" value="([^"]*)"', page) == ["offline"]
    assert "用离线起草器起草" in page
    assert "<option" not in page


def test_the_configured_models_are_offered_by_id_and_name(
    client: TestClient, model: StubServer
) -> None:
    report_id = hongjiang(client)
    page = client.get(f"/reports/{report_id}/draft").text
    assert re.findall(r'name="drafter" value="([^"]*)"', page) == ["offline", MODEL]
    assert "用模型 env（stub-model） 起草" in page
    assert "未配置模型" not in page


def test_a_model_whose_key_is_not_set_cannot_be_chosen(
    client: TestClient, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id = models_file(stub, monkeypatch)
    monkeypatch.delenv("STUB_KEY")
    report_id = hongjiang(client)
    page = client.get(f"/reports/{report_id}/draft").text
    assert re.search(rf'value="{model_id}" class="[^"]*" disabled>', page)
    assert "API key 未设置" in page
    refused = start(client, report_id, model_id)
    assert refused.status_code == 400 and "API key 未设置" in refused.text
    assert refused.status_code == 400 and "STUB_KEY" not in refused.text
    assert not stub.chat_requests()


def test_an_unknown_model_is_refused(client: TestClient, model: StubServer, workspace) -> None:
    report_id = hongjiang(client)
    refused = start(client, report_id, "nope")
    assert refused.status_code == 400
    assert workspace.head(report_id, "draft", "起草") is None
    assert not model.chat_requests()


# ---- drafting, followed live ------------------------------------------------------------------


def test_a_model_draft_streams_every_part_and_is_stored_as_a_draft(
    client: TestClient, model: StubServer, workspace
) -> None:
    report_id = hongjiang(client)
    response = start(client, report_id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/reports/{report_id}/draft"
    stream = events(client, report_id)
    names = [name for _id, name, _data in stream]
    steps = [(n, d.get("part")) for _i, n, d in stream]
    for part in PARTS:
        assert steps.index(("started", part)) < steps.index(("done", part))
        [done] = [d for _i, n, d in stream if n == "done" and d["part"] == part]
        assert done["outcome"] == "ok", done
        assert done["heading"] == HEADINGS[part] and done["text"] == "完成，核对无误"
    assert names[-1] == "finished" and "error" not in names
    finished = stream[-1][2]
    head = workspace.head(report_id, "draft", "起草")
    assert finished["version"] == head.number == 1
    assert [i for i, _n, _d in stream] == [f"1-{n}" for n in range(1, len(stream) + 1)]

    data = stored(workspace, report_id)
    assert data["drafter"] == MODEL
    assert set(data) == {
        *("format", "drafter", "stats_version", "allow_errors", "parts", "edited", "provenance")
    }
    stats_version = workspace.head(report_id, "stats", "统计").number
    assert data["stats_version"] == stats_version
    assert data["edited"] == [] and data["allow_errors"] is False
    assert data["parts"]["problems"] == [GENERIC]  # the stub's text, as it wrote it
    assert "公开信息92条" in "".join(data["parts"]["overall.proactive"])  # placeholders filled
    assert head.message == f"模型 env 起草（统计数据版本 {stats_version}）"

    # every model call is in the audit log, by part, as `drafter draft --model` logs them
    calls = AuditLog().recent(50)
    assert sorted(c.section for c in calls) == sorted(PARTS)
    assert {c.model for c in calls} == {"stub-model"} and not any(c.error for c in calls)


def test_the_model_draft_page_marks_every_number(client: TestClient, model: StubServer) -> None:
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    events(client, report_id)
    page = client.get(f"/reports/{report_id}/draft").text
    proactive = section(page, "overall.proactive")
    for number in ("92条", "79条"):
        span = number_span(proactive, number)
        assert 'class="num ok"' in span and "来源：" in span
    assert GENERIC in section(page, "problems")
    assert "模型 env 起草" in page  # the summary says who drafted it
    assert "本稿由模型 env（stub-model） 起草" in page  # and how each part went
    assert 'id="draft-progress"' not in page  # over: no progress panel
    # the rest of the page works on it unchanged: a part edited, downloads
    assert client.get(f"/reports/{report_id}/draft/parts/problems/edit").status_code == 200
    assert GENERIC in client.get(f"/reports/{report_id}/draft.md").text


def test_a_wrong_number_the_model_keeps_is_marked_as_an_error(
    client: TestClient, model: StubServer
) -> None:
    model.answer = lambda body: WRONG if part_of(body) == REQUESTS else None
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    stream = events(client, report_id)
    [done] = [d for _i, n, d in stream if n == "done" and d["part"] == REQUESTS]
    # sent back twice (the repairs), still wrong: kept and marked, never dropped
    assert done["outcome"] == "marked" and done["repairs"] == 2 and done["marked"] >= 1
    assert "已在文中标注" in done["text"]
    asked = [r for r in model.chat_requests() if part_of(r.body) == REQUESTS]
    assert len(asked) == 3
    assert "99件" in asked[1].body["messages"][-1]["content"]  # the repair quotes it
    assert stream[-1][1] == "finished"
    page = client.get(f"/reports/{report_id}/draft").text
    span = number_span(section(page, REQUESTS), "99件")
    assert 'class="num error"' in span and "E-NUM-MISMATCH" in span
    assert re.search(r"错误 [1-9]\d*</span>", page)


def test_a_wrong_number_the_model_repairs_is_gone(client: TestClient, model: StubServer) -> None:
    asked: list[str] = []

    def answer(body: dict[str, Any]) -> str | None:
        if part_of(body) != REQUESTS:
            return None
        asked.append(REQUESTS)
        return WRONG if len(asked) == 1 else drafting_answer(body)

    model.answer = answer
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    stream = events(client, report_id)
    [done] = [d for _i, n, d in stream if n == "done" and d["part"] == REQUESTS]
    assert done["outcome"] == "repaired" and done["repairs"] == 1
    assert "修改 1 次后核对无误" in done["text"]
    page = client.get(f"/reports/{report_id}/draft").text
    assert "99件" not in section(page, REQUESTS)


# ---- a failing model --------------------------------------------------------------------------


def test_a_part_the_model_fails_is_drafted_offline(
    client: TestClient, stub: StubServer, monkeypatch: pytest.MonkeyPatch, workspace
) -> None:
    model_id = models_file(stub, monkeypatch)
    stub.answer = lambda body: Reply(status=500) if part_of(body) == "problems" else None
    report_id = hongjiang(client)
    assert start(client, report_id, model_id).status_code == 303
    stream = events(client, report_id)
    [done] = [d for _i, n, d in stream if n == "done" and d["part"] == "problems"]
    assert done["outcome"] == "offline"
    assert re.fullmatch(r"模型未能起草（接口返回 HTTP 500（\w+）），改用离线起草器", done["text"])
    assert stream[-1][1] == "finished"
    data = stored(workspace, report_id)
    assert data["drafter"] == model_id
    assert data["parts"]["problems"] != [GENERIC]  # the offline drafter's text
    assert data["parts"]["overall"] == [GENERIC]  # the model's, for the parts it wrote
    head = workspace.head(report_id, "draft", "起草")
    assert "1 个部分模型未能起草、改用离线起草器" in head.message
    page = client.get(f"/reports/{report_id}/draft").text
    assert "其中 1 个部分模型未能起草、改用离线起草器" in page
    [call] = [c for c in AuditLog().recent(50) if c.section == "problems"]
    assert "500" in call.error  # the failure is in the audit log too


def test_a_model_that_fails_every_part_stores_nothing(
    client: TestClient, stub: StubServer, monkeypatch: pytest.MonkeyPatch, workspace
) -> None:
    model_id = models_file(stub, monkeypatch)
    stub.answer = lambda body: Reply(status=500)
    report_id = hongjiang(client)
    assert start(client, report_id, model_id).status_code == 303
    stream = events(client, report_id)
    assert [d["outcome"] for _i, n, d in stream if n == "done"] == ["offline"] * len(PARTS)
    name, data = stream[-1][1:]
    assert name == "error" and "finished" not in [n for _i, n, _d in stream]
    assert data["text"].startswith("模型 quick 没有写出任何部分（模型未能起草（接口返回 HTTP 500（")
    assert "未保存" in data["text"] and "\n" not in data["text"]
    assert workspace.head(report_id, "draft", "起草") is None  # nothing half-written
    page = client.get(f"/reports/{report_id}/draft").text
    assert "用模型起草未完成：" in page and "没有写出任何部分" in page
    assert "用离线起草器起草" in page  # and the choice is offered again
    assert start(client, report_id, "offline").status_code == 303
    assert "没有写出任何部分" not in client.get(f"/reports/{report_id}/draft").text


def test_a_model_that_never_answers_is_given_up_and_nothing_is_stored(
    client: TestClient, stub: StubServer, monkeypatch: pytest.MonkeyPatch, workspace
) -> None:
    model_id = models_file(stub, monkeypatch, deadline=0.5, draft_deadline=1)
    stub.answer = lambda body: Reply(hang=True)
    report_id = hongjiang(client)
    assert start(client, report_id, model_id).status_code == 303
    stream = events(client, report_id)
    outcomes = {d["part"]: d for _i, n, d in stream if n == "done"}
    assert set(outcomes) == set(PARTS)
    assert all(d["outcome"] == "offline" for d in outcomes.values())
    assert any("超过总时限" in d["text"] for d in outcomes.values())
    assert stream[-1][1] == "error"
    assert workspace.head(report_id, "draft", "起草") is None


# ---- one at a time, the end told again, and what is refused -------------------------------------


def test_a_second_start_while_drafting_is_409(
    client: TestClient, model: StubServer, workspace
) -> None:
    release = threading.Event()
    model.answer = lambda body: release.wait(30) and None
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    try:
        page = client.get(f"/reports/{report_id}/draft").text
        assert 'id="draft-progress"' in page
        assert f'data-events="/reports/{report_id}/draft/events"' in page
        assert '<script src="/static/draft_progress.js" defer></script>' in page
        assert page.count('<li data-part="') == len(PARTS)
        assert 'name="drafter"' not in page  # no second start offered
        again = start(client, report_id)
        assert again.status_code == 409 and "正在起草" in again.text
        offline = start(client, report_id, "offline")
        assert offline.status_code == 409 and "正在起草" in offline.text
    finally:
        release.set()
    assert events(client, report_id)[-1][1] == "finished"
    assert workspace.head(report_id, "draft", "起草").number == 1
    assert start(client, report_id, base_version="1").status_code == 303  # over: may redraft


def test_a_browser_coming_back_after_the_end_is_told_how_it_ended(
    client: TestClient, model: StubServer
) -> None:
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    stream = events(client, report_id)
    last_id, name, data = stream[-1]
    assert name == "finished"
    # reconnecting with the last id it saw: only the end, again
    assert events(client, report_id, **{"Last-Event-ID": last_id}) == [(last_id, name, data)]
    # an id in the middle: the rest
    middle = stream[len(stream) // 2][0]
    assert events(client, report_id, **{"Last-Event-ID": middle}) == stream[len(stream) // 2 + 1 :]
    # an id of another job, or nonsense: everything
    assert events(client, report_id, **{"Last-Event-ID": "99-3"}) == stream


def test_the_stream_of_a_report_without_a_job_tells_what_is_stored(
    client: TestClient, model: StubServer
) -> None:
    report_id = hongjiang(client)
    [(_id, name, data)] = events(client, report_id)
    assert name == "error" and data["text"] == "没有正在进行的起草"
    assert start(client, report_id, "offline").status_code == 303
    [(_id, name, data)] = events(client, report_id)
    assert name == "finished" and data["version"] == 1
    assert client.get("/reports/999/draft/events").status_code == 404


def test_redrafting_with_the_model_from_the_draft_page(
    client: TestClient, model: StubServer, workspace
) -> None:
    report_id = hongjiang(client)
    assert start(client, report_id, "offline").status_code == 303
    page = client.get(f"/reports/{report_id}/draft").text
    assert '<select name="drafter">' in page
    assert '<option value="offline" selected>离线起草器</option>' in page  # as it was drafted
    assert f'<option value="{MODEL}">模型 env（stub-model）</option>' in page
    assert "重新起草</button>" in page
    stale = start(client, report_id)  # no base version: the page was not the latest
    assert stale.status_code == 409 and not model.chat_requests()
    assert start(client, report_id, base_version="1").status_code == 303
    assert events(client, report_id)[-1][2]["version"] == 2
    assert stored(workspace, report_id)["drafter"] == MODEL
    page = client.get(f"/reports/{report_id}/draft").text
    assert f'<option value="{MODEL}" selected>' in page  # redrafting: as it was drafted


def test_an_edit_while_the_model_drafts_is_not_overwritten(
    client: TestClient, model: StubServer, workspace
) -> None:
    report_id = hongjiang(client)
    assert start(client, report_id, "offline").status_code == 303
    release = threading.Event()
    model.answer = lambda body: release.wait(30) and None
    assert start(client, report_id, base_version="1").status_code == 303
    try:
        edited = client.post(
            f"/reports/{report_id}/draft/parts/other",
            data={"text": "本年度无其他需要报告的事项。", "base_version": "1"},
            headers={"X-CSRF-Token": token(client), "HX-Request": "true"},
        )
        assert edited.status_code == 200
    finally:
        release.set()
    name, data = events(client, report_id)[-1][1:]
    assert name == "error" and "模型的稿子未保存" in data["text"]
    assert workspace.head(report_id, "draft", "起草").number == 2  # the edit stands
    assert stored(workspace, report_id)["drafter"] == "offline"


def test_statistics_with_errors_need_allow_errors_for_a_model_too(
    client: TestClient, model: StubServer, workspace
) -> None:
    report_id = report_with(client, SAMPLE, "泉州市科学技术局")  # 6 errors
    page = client.get(f"/reports/{report_id}/draft").text
    assert "统计有错误，仍用模型 env（stub-model） 起草" in page
    refused = start(client, report_id)
    assert refused.status_code == 400 and "未起草" in refused.text
    assert workspace.head(report_id, "draft", "起草") is None and not model.chat_requests()
    assert start(client, report_id, allow_errors="1").status_code == 303
    assert events(client, report_id)[-1][1] == "finished"
    data = stored(workspace, report_id)
    assert data["allow_errors"] is True and data["drafter"] == MODEL
    assert "统计数据有错误仍起草" in workspace.head(report_id, "draft", "起草").message


def test_csrf_is_required_to_start_a_model_draft(
    client: TestClient, model: StubServer, workspace
) -> None:
    report_id = hongjiang(client)
    refused = client.post(f"/reports/{report_id}/draft", data={"drafter": MODEL})
    assert refused.status_code == 403
    refused = client.post(
        f"/reports/{report_id}/draft",
        data={"drafter": MODEL, "csrf_token": "x" * 43},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert client.app.state.draft_jobs.get(report_id) is None
    assert workspace.head(report_id, "draft", "起草") is None and not model.chat_requests()


def test_the_key_and_the_endpoint_never_reach_the_browser(
    client: TestClient, model: StubServer
) -> None:
    model.answer = lambda body: Reply(status=500) if part_of(body) == "problems" else None
    report_id = hongjiang(client)
    seen = [client.get(f"/reports/{report_id}/draft").text]
    response = start(client, report_id)
    seen.append(response.text + json.dumps(dict(response.headers)))
    seen.append(json.dumps(events(client, report_id), ensure_ascii=False))
    for url in (
        f"/reports/{report_id}/draft",
        f"/reports/{report_id}/draft/parts/problems",
        f"/reports/{report_id}/draft/parts/problems/edit",
        f"/reports/{report_id}/draft.md",
        f"/reports/{report_id}/draft.html",
    ):
        seen.append(client.get(url).text)
    seen.append(start(client, report_id, "nope", base_version="1").text)
    everything = html.unescape("\n".join(seen))
    assert "stub-model" in everything  # the model's name is shown…
    assert KEY not in everything  # …never its key
    assert model.base_url not in everything and "127.0.0.1:" not in everything  # nor endpoint
    assert KEY in model.chat_requests()[0].headers["authorization"]  # the key was used


def test_a_claim_the_model_makes_without_a_source_is_marked_on_the_page(
    client: TestClient, model: StubServer
) -> None:
    claim = "我街道获评全省政务公开先进单位。[通用]"
    model.answer = lambda body: claim if part_of(body) == "problems" else None
    report_id = hongjiang(client)
    assert start(client, report_id).status_code == 303
    stream = events(client, report_id)
    [done] = [d for _i, n, d in stream if n == "done" and d["part"] == "problems"]
    assert done["outcome"] == "marked"  # the drafter saw it…
    page = client.get(f"/reports/{report_id}/draft").text
    assert "W-CLAIM-UNSOURCED" in section(page, "problems")  # …the page should show it


# ---- in a real browser: EventSource and draft_progress.js ------------------------------------


@pytest.fixture(scope="module")
def held() -> dict[str, threading.Event]:
    """Parts whose answer the stub holds back until the test releases them (`other`)."""
    return {"other": threading.Event()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, held: dict[str, threading.Event]):
    """`drafter serve` as a subprocess whose environment configures the stub as its model (the
    stub runs in this process, so the test decides when each part is answered)."""

    def answer(body: dict[str, Any]) -> None:
        event = held.get(part_of(body) or "")
        if event is not None:
            event.wait(30)

    stub = StubServer().start()
    stub.answer = answer
    home = tmp_path_factory.mktemp("serve-home")
    try:
        yield from browser_support.serving(
            home / "ws", browser_support.model_env(home, stub.base_url, KEY)
        )
    finally:
        for event in held.values():
            event.set()
        stub.stop()


# headless Chromium and a fresh page (browser_support), on the `server` above
browser = browser_support.browser
page = browser_support.page


def test_the_page_follows_the_model_draft_live_and_shows_the_draft(
    page: Any, held: dict[str, threading.Event]
) -> None:
    expect = browser_support.require_playwright()
    page.goto("/")
    page.get_by_label("发布机关全称").fill("洪江市沅江路街道办事处")
    page.get_by_role("button", name="新建").click()
    page.get_by_label("统计文件").set_input_files(HONGJIANG)
    page.get_by_role("button", name="上传 Excel / YAML").click()
    expect(page.locator("#findings .version")).to_contain_text("版本 2")
    page.get_by_role("link", name="起草", exact=True).click()
    page.get_by_role("button", name="用模型 env（stub-model） 起草").click()

    # live: a part answered at once is done, the held one still drafting
    progress = page.locator("#draft-progress")
    expect(progress).to_contain_text("正在用模型 env（stub-model） 起草")
    done = progress.locator('li[data-part="overall"]')
    expect(done).to_have_class("state-ok")
    expect(done.locator(".part-state")).to_have_text("完成，核对无误")
    expect(progress.locator('li[data-part="other"]')).to_have_class("state-running")

    held["other"].set()  # the last part answered: the draft is saved, the page reloads
    expect(page.locator(".draft-doc section.part")).not_to_have_count(0)
    expect(page.locator("#draft-progress")).to_have_count(0)
    expect(page.locator("#draft-summary .version")).to_contain_text("模型 env 起草")
    expect(
        page.locator('.draft-doc section[data-part="overall.proactive"] .num.ok').first
    ).to_be_visible()
    assert KEY not in page.content()
