"""`drafter serve` (issue 13, item 7): the 核对 tab. An edited .docx uploaded from Word or WPS
(tracked changes included) is verified as `drafter verify` verifies it; the status line, the
findings by part with their sentences, the annotated copy, the downloads, the cover letter
and the model calls of the report, through FastAPI's test client."""

from __future__ import annotations

import html
import io
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, report_with
from conftest import csrf_token as token
from docx import Document
from docx_edits import delete_tracked, insert_tracked, replace_text
from fastapi.testclient import TestClient

from drafter.audit import AuditLog, report_key
from drafter.workflows import verify_document
from drafter.workspace import Workspace

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"
HONGJIANG_AGENCY = "洪江区沅江路街道办事处"  # as its statistics name it
QUANZHOU = "泉州市科学技术局"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ---- helpers -----------------------------------------------------------------------------------


def drafted(client: TestClient, stats: Path = SAMPLE, agency: str = QUANZHOU) -> int:
    """A report drafted offline through the page (errors of the statistics allowed)."""
    report_id = report_with(client, stats, agency)
    response = client.post(
        f"/reports/{report_id}/draft",
        data={"csrf_token": token(client), "allow_errors": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return report_id


def draft_docx(client: TestClient, report_id: int) -> bytes:
    response = client.get(f"/reports/{report_id}/draft.docx")
    assert response.status_code == 200
    return response.content


def upload(client: TestClient, report_id: int, content: bytes, name: str = "送审稿.docx", **data):
    from drafter.workspace import NotFound

    try:
        head = client.app.state.workspace.head(report_id, "review", "送审稿")
    except NotFound:
        head = None
    fields = {"csrf_token": token(client)}
    if head is not None:
        fields["base_version"] = str(head.number)
    fields.update(data)
    return client.post(
        f"/reports/{report_id}/review",
        data=fields,
        files={"file": (name, content, DOCX)},
        follow_redirects=False,
    )


def reviewed_page(client: TestClient, report_id: int, content: bytes) -> str:
    response = upload(client, report_id, content)
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == f"/reports/{report_id}/review"
    page = client.get(f"/reports/{report_id}/review")
    assert page.status_code == 200
    return page.text


def verified(tmp_path: Path, content: bytes, stats: Path):
    """What `drafter verify` finds in the same file."""
    document = tmp_path / "same.docx"
    document.write_bytes(content)
    return verify_document(document, stats)


def status(page: str) -> str:
    match = re.search(
        r'<p class="review-status (pass|fail)" role="status"><strong>(.*?)</strong>', page
    )
    assert match, page[:3000]
    return f"{match[1]}:{match[2]}"


def result_html(page: str) -> str:
    match = re.search(r'<div id="review-result".*?<details class="review-parts">', page, re.S)
    assert match
    return match.group()


def page_codes(page: str) -> Counter:
    return Counter(
        re.findall(r'<li class="review-finding [a-z-]+" data-code="([A-Z0-9-]+)">', page)
    )


def part_of(page: str, heading: str) -> str:
    """The findings shown under the part `heading`."""
    match = re.search(
        rf'<section class="review-part">\s*<h3>{re.escape(heading)}\s.*?</section>', page, re.S
    )
    assert match, heading
    return match.group()


GAP = re.compile(r"【待补充[^】]*】")


def gap_texts(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    return [gap for p in document.paragraphs for run in p.runs for gap in GAP.findall(run.text)]


def filling(gap: str) -> str:
    if "网址" in gap:
        return "本报告电子版可在洪江区人民政府网站查阅。"
    if "联系方式" in gap:
        return "联系方式：街道党政办。"
    if "其他需要报告" in gap:
        return "本年度无其他需要报告的事项。"
    return "本年度按要求做好相关工作。"


def filled(content: bytes) -> bytes:
    """The clerk's part, typed over in Word: every 【待补充】 of the draft (a run of its own)
    replaced by real text."""
    document = Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if GAP.search(run.text):
                run.text = GAP.sub(lambda m: filling(m.group()), run.text)
                run.font.highlight_color = None
    out = io.BytesIO()
    document.save(out)
    assert not gap_texts(out.getvalue())
    return out.getvalue()


@pytest.fixture
def clean(client: TestClient) -> tuple[int, bytes]:
    """A sample that drafts without errors, drafted on the page, its gaps filled in Word."""
    report_id = drafted(client, HONGJIANG, HONGJIANG_AGENCY)
    return report_id, filled(draft_docx(client, report_id))


def commented_texts(content: bytes) -> dict[str, str]:
    """The text each comment of an annotated .docx is anchored on, by comment id."""
    import zipfile

    from lxml import etree

    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml"))
    open_ranges: set[str] = set()
    texts: dict[str, str] = {}
    for element in body.iter():
        if element.tag == W + "commentRangeStart":
            open_ranges.add(element.get(W + "id"))
        elif element.tag == W + "commentRangeEnd":
            open_ranges.discard(element.get(W + "id"))
        elif element.tag == W + "t":
            for comment in open_ranges:
                texts[comment] = texts.get(comment, "") + (element.text or "")
    return texts


# ---- the page ----------------------------------------------------------------------------------


def test_the_tab_is_enabled_and_offers_the_upload(client: TestClient) -> None:
    report_id = report_with(client, SAMPLE, QUANZHOU)
    stats = client.get(f"/reports/{report_id}/stats").text
    assert f'href="/reports/{report_id}/review">核对</a>' in stats
    page = client.get(f"/reports/{report_id}/review")
    assert page.status_code == 200
    assert f'<a class="tab active" href="/reports/{report_id}/review">核对</a>' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="file"' in page.text
    assert "还没有上传送审稿" in page.text
    assert "还没有草稿" in page.text  # the downloads wait for a draft
    assert f'href="/reports/{report_id}/calls"' in page.text


def test_the_review_of_a_downloaded_draft_is_what_verify_finds(
    client: TestClient, workspace: Workspace, tmp_path: Path
) -> None:
    report_id = drafted(client)
    content = draft_docx(client, report_id)
    page = reviewed_page(client, report_id, content)
    stats = tmp_path / "stats.yaml"
    stats.write_bytes(client.get(f"/reports/{report_id}/stats.yaml").content)
    result = verified(tmp_path, content, stats)
    assert result.errors  # the sample's own wrong 11份
    assert status(page) == f"fail:不可报送：{result.counts.errors} 处错误"
    assert f"警告 {result.counts.warnings} 处" in page
    assert page_codes(page) == Counter(f.code for f in result.findings)
    # grouped by part, the sentence shown with the number marked
    wrong = next(f for f in result.findings if f.code == "E-NUM-MISMATCH")
    part = part_of(page, wrong.location.section)
    assert '<mark class="hit error">11份</mark>' in part
    assert wrong.message in html.unescape(part)
    assert "现行有效规范性文件" in part  # the sentence around it
    # stored as a version of the report's 送审稿: the page survives a restart
    head = workspace.head(report_id, "review", "送审稿")
    assert head is not None and head.number == 1
    assert workspace.read(report_id, "review", "送审稿") == content
    from drafter.web.app import create_app

    restarted = TestClient(create_app(workspace, host="127.0.0.1"))
    again = restarted.get(f"/reports/{report_id}/review").text
    assert status(again) == status(page)
    assert page_codes(again) == page_codes(page)


def test_a_clean_body_with_its_gaps_filled_can_be_submitted(
    client: TestClient, clean: tuple[int, bytes], tmp_path: Path
) -> None:
    report_id, content = clean
    gaps = draft_docx(client, report_id)
    page = reviewed_page(client, report_id, gaps)
    result = verified(tmp_path, gaps, HONGJIANG)
    assert status(page) == f"fail:不可报送：{result.counts.errors} 处错误"
    assert f"其中待补充 {result.counts.errors} 处" in page  # every error is a gap
    assert page.count('<span class="pill gap">待补充</span>') == result.counts.errors
    assert '<mark class="hit gap">【待补充：' in page
    page = reviewed_page(client, report_id, content)
    assert status(page) == "pass:可以报送：未发现错误"
    assert "review-finding" not in page


def test_a_number_typed_wrong_is_an_error_at_its_part(
    client: TestClient, clean: tuple[int, bytes], tmp_path: Path
) -> None:
    report_id, content = clean
    edited = replace_text(content, "公开信息92条", "公开信息93条")
    page = reviewed_page(client, report_id, edited)
    result = verified(tmp_path, edited, HONGJIANG)
    assert [(f.code, f.location.section) for f in result.findings] == [
        ("E-NUM-MISMATCH", "（一）主动公开")
    ]
    assert status(page) == "fail:不可报送：1 处错误"
    part = part_of(page, "（一）主动公开")
    assert '<mark class="hit error">93条</mark>' in part and "E-NUM-MISMATCH" in part
    assert "公开信息" in part  # the sentence it is in


def test_a_tracked_insertion_counts_and_a_tracked_deletion_does_not(
    client: TestClient, clean: tuple[int, bytes], tmp_path: Path
) -> None:
    report_id, content = clean
    sentence = "全年制发行政规范性文件7件。"  # the statistics say none were issued
    inserted = insert_tracked(content, "本年度未制发行政规范性文件", sentence)
    page = reviewed_page(client, report_id, inserted)
    assert status(page) == "fail:不可报送：1 处错误"
    part = part_of(page, "（一）主动公开")
    assert '<mark class="hit error">7件</mark>' in part
    assert [f.code for f in verified(tmp_path, inserted, HONGJIANG).findings] == ["E-NUM-MISMATCH"]
    deleted = delete_tracked(content, "本年度未制发行政规范性文件", sentence)
    page = reviewed_page(client, report_id, deleted)
    assert status(page) == "pass:可以报送：未发现错误"


def test_the_annotated_copy_marks_the_wrong_number(
    client: TestClient, clean: tuple[int, bytes]
) -> None:
    report_id, content = clean
    assert client.get(f"/reports/{report_id}/review/annotated.docx").status_code == 404
    edited = replace_text(content, "公开信息92条", "公开信息93条")
    reviewed_page(client, report_id, edited)
    response = client.get(f"/reports/{report_id}/review/annotated.docx")
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX
    assert "attachment" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))  # a valid .docx
    assert any("93条" in p.text for p in document.paragraphs)
    anchored = commented_texts(response.content)
    assert list(anchored.values()) == ["93条"]
    highlighted = [
        run.text
        for p in document.paragraphs
        for run in p.runs
        if run.font.highlight_color is not None and "93" in run.text
    ]
    assert highlighted == ["93条"]


def test_the_downloads_and_the_cover_letter(client: TestClient) -> None:
    report_id = drafted(client)
    page = client.get(f"/reports/{report_id}/review").text
    for suffix in ("docx", "html", "md"):  # the 起草 page's own routes
        assert f'href="/reports/{report_id}/draft.{suffix}"' in page
    assert f'href="/reports/{report_id}/cover-letter.docx"' in page
    assert "【待补充：成文日期】" in page  # the sample's letter has no date
    response = client.get(f"/reports/{report_id}/cover-letter.docx")
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX
    assert "attachment" in response.headers["content-disposition"]
    texts = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert QUANZHOU in texts
    assert "泉州市人民政府办公室：" in texts  # the recipient
    attachment = [t for t in texts if t.startswith("附件：")]
    assert attachment == [f"附件：{QUANZHOU}2023年政府信息公开工作年度报告"]
    assert "【待补充：成文日期】" in texts
    assert any("143条" in t for t in texts)  # the report itself follows as the 附件


def test_no_cover_letter_without_a_recipient(client: TestClient) -> None:
    report_id = drafted(client, HONGJIANG, HONGJIANG_AGENCY)
    page = client.get(f"/reports/{report_id}/review").text
    assert "cover-letter.docx" not in page and "没有主送机关" in page
    response = client.get(f"/reports/{report_id}/cover-letter.docx")
    assert response.status_code == 400 and "主送机关" in response.text


# ---- what is refused ---------------------------------------------------------------------------


def test_hostile_uploads_are_refused_as_verify_refuses_them_and_nothing_is_stored(
    client: TestClient, workspace: Workspace, tmp_path: Path
) -> None:
    from hostile_corpus import build

    from drafter.errors import InputError

    report_id = report_with(client, SAMPLE, QUANZHOU)
    cases = [
        c for c in build(tmp_path / "corpus", "small", families=["docx"]) if "verify" in c.commands
    ]
    assert len(cases) >= 10
    refused = 0
    for case in cases:
        content = case.path.read_bytes()
        before = workspace.head(report_id, "review", "送审稿")
        try:
            verify_document(case.path, SAMPLE)
        except InputError as exc:
            refused += 1
            response = upload(client, report_id, content, "报告.docx")
            assert response.status_code == 400, case.id
            alert = re.search(
                r'<div class="alert error" role="alert">(.*?)</div>', response.text, re.S
            )
            assert alert, case.id
            assert "未保存" in alert[1] and exc.code in alert[1], case.id
            assert "报告.docx" in alert[1], case.id
            assert "/tmp" not in alert[1] and "drafter-web-" not in alert[1], case.id
            assert workspace.head(report_id, "review", "送审稿") == before, case.id
        else:  # what verify reads, the page reads, stores and annotates (never a 500)
            response = upload(client, report_id, content, "报告.docx")
            assert response.status_code == 303, case.id
            assert workspace.head(report_id, "review", "送审稿").number == (
                before.number + 1 if before else 1
            ), case.id
            assert client.get(f"/reports/{report_id}/review").status_code == 200, case.id
            annotated = client.get(f"/reports/{report_id}/review/annotated.docx")
            assert annotated.status_code == 200, case.id
            assert annotated.content.startswith(b"PK"), case.id
    assert refused >= 8


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("报告.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "E-FILE-TYPE"),
        ("报告.pdf", b"%PDF-1.4", "E-FILE-TYPE"),
        ("../../etc/passwd", b"root:x:0:0", "E-FILE-TYPE"),
        ("报告.docx", b"PK\x03\x04 not really a zip", "E-FILE-CORRUPT"),
        ("报告.docx", b"", "E-FILE-CORRUPT"),
    ],
    ids=["old-doc", "pdf", "traversal-name", "broken-zip", "empty"],
)
def test_a_file_that_is_not_a_docx_is_refused(
    client: TestClient, workspace: Workspace, name: str, content: bytes, code: str
) -> None:
    report_id = report_with(client, SAMPLE, QUANZHOU)
    response = upload(client, report_id, content, name)
    assert response.status_code == 400
    alert = re.search(r'<div class="alert error" role="alert">(.*?)</div>', response.text, re.S)
    assert alert and "未保存" in alert[1] and code in alert[1]
    assert workspace.head(report_id, "review", "送审稿") is None


def test_no_file_is_refused(client: TestClient, workspace: Workspace) -> None:
    report_id = report_with(client, SAMPLE, QUANZHOU)
    response = client.post(
        f"/reports/{report_id}/review", data={"csrf_token": token(client)}, follow_redirects=False
    )
    assert response.status_code == 400 and "请选择要核对的 Word 文档" in response.text
    assert workspace.head(report_id, "review", "送审稿") is None


def test_an_upload_needs_the_csrf_token(client: TestClient, workspace: Workspace) -> None:
    report_id = drafted(client)
    content = draft_docx(client, report_id)
    refused = client.post(
        f"/reports/{report_id}/review",
        files={"file": ("送审稿.docx", content, DOCX)},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    refused = client.post(
        f"/reports/{report_id}/review",
        data={"csrf_token": "x" * 43},
        files={"file": ("送审稿.docx", content, DOCX)},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert workspace.head(report_id, "review", "送审稿") is None


def test_a_stale_upload_is_refused(client: TestClient, workspace: Workspace) -> None:
    report_id = drafted(client)
    content = draft_docx(client, report_id)
    assert upload(client, report_id, content).status_code == 303
    assert upload(client, report_id, content).status_code == 303  # based on version 1
    stale = upload(client, report_id, content, base_version="1")
    assert stale.status_code == 409 and "保存失败：此文档已被" in stale.text
    assert workspace.head(report_id, "review", "送审稿").number == 2


@pytest.mark.parametrize(
    "path",
    ["/review", "/review/annotated.docx", "/cover-letter.docx", "/calls"],
)
def test_a_report_that_does_not_exist_is_404(client: TestClient, path: str) -> None:
    report_with(client, SAMPLE, QUANZHOU)
    assert client.get(f"/reports/999{path}").status_code == 404


def test_uploading_to_a_report_that_does_not_exist_is_404(
    client: TestClient, workspace: Workspace
) -> None:
    report_id = drafted(client)
    response = upload(client, 999, draft_docx(client, report_id))
    assert response.status_code == 404
    assert workspace.head(report_id, "review", "送审稿") is None


def test_the_cover_letter_needs_a_draft(client: TestClient) -> None:
    report_id = report_with(client, SAMPLE, QUANZHOU)
    assert client.get(f"/reports/{report_id}/cover-letter.docx").status_code == 404


# ---- the model calls of a report --------------------------------------------------------------

KEY = "sk-test-review-0123456789abcdef"


def record(report: str | None, text: str, **more) -> None:
    log = AuditLog(report=report)
    values = dict(
        endpoint="http://127.0.0.1:9/v1",
        model="qwen-plus",
        section="problems",
        attempt=1,
        prompt_version="p1",
        request=text,
        messages=[
            {"role": "system", "content": "你是公文写作助手。"},
            {"role": "user", "content": text},
        ],
        parameters={},
        response=f"回答：{text}",
        error=None,
        input_tokens=120,
        output_tokens=45,
        duration=1.5,
        cached=False,
    )
    values.update(more)
    log.record(**values)
    log.close()


def test_the_calls_page_shows_this_reports_calls_only(
    client: TestClient, stub, monkeypatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from drafter.cli import app

    report_id = report_with(client, SAMPLE, QUANZHOU)
    assert "还没有为本报告调用过模型" in client.get(f"/reports/{report_id}/calls").text
    # drafted with a model on the command line: the drafter records the report of each call
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "qwen-plus")
    monkeypatch.setenv("DRAFTER_API_KEY", KEY)
    done = CliRunner().invoke(
        app, ["draft", str(SAMPLE), "-o", str(tmp_path / "r.docx"), "--allow-errors"]
    )
    assert done.exit_code == 0, done.output
    sent = len(stub.chat_requests())
    assert sent >= 8
    calls = AuditLog().for_report(report_key(QUANZHOU, 2023))
    assert len(calls) == sent
    record(report_key("另一个机关", 2023), "另一份报告的提示词")
    record(None, "不知道是哪份报告的提示词")
    record(
        report_key(QUANZHOU, 2023),
        f"带密钥的提示词 {KEY}",
        endpoint=f"https://user:{KEY}@api.example.com/v1?api_key={KEY}",
        error=f"接口返回 HTTP 401：Incorrect API key provided: {KEY}",
        response=None,
    )
    page = client.get(f"/reports/{report_id}/calls")
    assert page.status_code == 200
    text = page.text
    assert text.count('<tr class="call ') == sent + 1
    assert "qwen-plus" in text and "成功" in text and "失败" in text
    assert "六、存在的主要问题及改进情况" in text  # the part, by its heading
    assert "<details>" in text and "提示词（2 条消息）" in text
    assert "带密钥的提示词" in text
    assert "另一份报告的提示词" not in text and "不知道是哪份报告" not in text
    assert KEY not in text and KEY[:12] not in text
    assert "api.example.com" not in text and "user:" not in text
    assert stub.base_url not in text


def test_an_audit_log_from_before_reports_were_recorded_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "drafter.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, endpoint TEXT NOT NULL,
            model TEXT NOT NULL, section TEXT, attempt INTEGER, prompt_version TEXT,
            request_hash TEXT NOT NULL, messages TEXT NOT NULL, parameters TEXT NOT NULL,
            response TEXT, error TEXT, input_tokens INTEGER, output_tokens INTEGER,
            duration_ms INTEGER, cached INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO calls (time, endpoint, model, request_hash, messages, parameters)
            VALUES ('2024-01-01 09:00:00', 'e', 'm', 'h', '[]', '{}');
        """
    )
    db.commit()
    db.close()
    log = AuditLog(path, report=report_key(QUANZHOU, 2023))
    [old] = log.recent()
    assert old.report is None
    log.record(
        endpoint="e", model="m", section=None, attempt=None, prompt_version="", request="h2",
        messages=[], parameters={}, response="r", error=None, input_tokens=None,
        output_tokens=None, duration=0.1, cached=False,
    )  # fmt: skip
    [new] = log.for_report(report_key(QUANZHOU, 2023))
    assert new.report == f"{QUANZHOU} 2023" and new.response == "r"
    log.close()


def test_statistics_with_errors_are_not_submitted_even_when_the_text_is_clean(
    client: TestClient, tmp_path: Path
) -> None:
    """The sample's statistics keep the original report's errors (table 四 left blank …): a
    text without a wrong number is still not to be submitted until they are corrected."""
    report_id = drafted(client)
    content = replace_text(draft_docx(client, report_id), "规范性文件11份", "规范性文件14份")
    stats = tmp_path / "stats.yaml"
    stats.write_bytes(client.get(f"/reports/{report_id}/stats.yaml").content)
    assert verified(tmp_path, content, stats).counts.errors == 0
    page = reviewed_page(client, report_id, content)
    assert status(page) == "fail:不可报送：统计数据有 6 个错误"
    assert "送审稿本身未发现错误" in page
    assert f'<a href="/reports/{report_id}/stats">到统计页改正</a>' in page


def test_a_word_file_larger_than_a_workbook_reaches_the_review(client: TestClient) -> None:
    """An edited report with photos of the seal is larger than any workbook: 25 MB of
    incompressible media in the .docx pass the request cap (sized for the largest .docx,
    50 MB) and are reviewed, stored as they came."""
    import io
    import os
    import zipfile

    from drafter.limits import MAX_WORKBOOK_BYTES

    report_id = drafted(client)
    content = draft_docx(client, report_id)
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("word/media/seal.png", os.urandom(25 * 2**20))
    large = buffer.getvalue()
    assert len(large) > MAX_WORKBOOK_BYTES + 256 * 1024  # over the old cap of a request
    page = reviewed_page(client, report_id, large)
    assert status(page).startswith("fail:不可报送")  # the sample's published errors, found
    workspace = client.app.state.workspace
    assert workspace.read(report_id, "review", "送审稿") == large


def test_a_chat_revisions_call_is_named_by_its_part(client: TestClient) -> None:
    report_id = report_with(client, SAMPLE, QUANZHOU)
    record(report_key(QUANZHOU, 2023), "改写这一部分", section="revise:overall.proactive")
    text = client.get(f"/reports/{report_id}/calls").text
    assert "对话修改 · （一）主动公开" in text
    assert "revise:overall.proactive" not in text.split("<tbody")[-1].split("<details")[0]
