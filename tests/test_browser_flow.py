"""The whole job in a real browser (issue 13, "Done when"): from an empty workspace, another
real body's statistics (广州市荔湾区桥中街道, `samples/liwan-qiaozhong-2023`) uploaded, drafted
offline, a number in the narrative changed to a wrong one and seen marked, a part revised
through the chat panel against the stub OpenAI server on 127.0.0.1 and the revision accepted,
the gaps filled, the .docx downloaded and verified by the CLI with no error, and the edited
.docx reviewed on the 核对 page: "可以报送", then "不可报送" once a tracked insertion puts a
wrong number in it.

`drafter serve` runs as a subprocess with the stub as its configured model
(DRAFTER_BASE_URL / DRAFTER_MODEL / DRAFTER_API_KEY), headless Chromium drives it
(browser_support.py: skipped without a browser, failed instead under CI=true)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser_support
import pytest
from docx_edits import insert_tracked
from stub_openai import StubServer

expect = browser_support.require_playwright()
browser = browser_support.browser
page = browser_support.page

ROOT = Path(__file__).resolve().parents[1]
LIWAN = ROOT / "samples" / "liwan-qiaozhong-2023" / "stats.yaml"
AGENCY = "广州市荔湾区人民政府桥中街道办事处"
KEY = "sk-flow-FAKE-9876543210-recognisable"
FILLED = "本街道已按规定开展此项工作。"  # what the clerk writes where a gap was (no number)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, stub: StubServer) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("flow")
    env = browser_support.model_env(home, stub.base_url, KEY)
    yield from browser_support.serving(home / "ws", env)


def part_box(page: Any, part_id: str) -> Any:
    return page.locator(f"#part-{part_id.replace('.', '-')}")


def edit_part(page: Any, part_id: str, change: Any) -> None:
    """Open a part's editor, change its text with `change`, save, wait for the marked part."""
    box = part_box(page, part_id)
    box.get_by_role("button", name="编辑", exact=True).click()
    text = box.locator("textarea[name=text]")
    expect(text).to_be_visible()
    text.fill(change(text.input_value()))
    box.get_by_role("button", name="保存", exact=True).click()
    expect(part_box(page, part_id).locator("textarea[name=text]")).to_have_count(0)


def test_from_an_empty_workspace_to_a_verified_and_reviewed_docx(
    page: Any, stub: StubServer, tmp_path: Path
) -> None:
    # an empty workspace: a new report, the statistics uploaded, no error
    page.goto("/")
    expect(page.locator("p.empty")).to_contain_text("工作区还没有报告")
    page.get_by_label("发布机关全称").fill(AGENCY)
    page.get_by_label("统计年度").fill("2023")
    page.get_by_role("button", name="新建").click()
    page.get_by_label("统计文件").set_input_files(LIWAN)
    page.get_by_role("button", name="上传 Excel / YAML").click()
    expect(page.locator("#findings .version")).to_contain_text("版本 2")
    expect(page.locator("#findings .counts .pill.error")).to_have_text("错误 0")

    # drafted offline (a model is configured, the offline drafter is chosen)
    page.get_by_role("link", name="起草", exact=True).click()
    page.get_by_role("button", name="用离线起草器起草").click()
    expect(page.locator(".part-box").first).to_be_visible()
    assert page.locator(".part-box .num.error").count() == 0

    # a number of the narrative changed to a wrong one: marked as an error in its part
    number = page.locator(".part-box .num.ok").first
    expect(number).to_be_visible()
    box_id = number.locator("xpath=ancestor::div[contains(@class,'part-box')][1]").get_attribute(
        "id"
    )
    assert box_id
    part_id = box_id.removeprefix("part-").replace("-", ".")
    right = number.inner_text()
    digits = re.search(r"\d+", right)
    assert digits, right
    wrong = right.replace(digits.group(), str(int(digits.group()) + 7), 1)
    edit_part(page, part_id, lambda text: text.replace(right, wrong, 1))
    marked = part_box(page, part_id).locator(".num.error")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text(wrong)
    expect(marked).to_have_attribute("title", re.compile(r"E-NUM"))
    edit_part(page, part_id, lambda text: text.replace(wrong, right, 1))  # put it right
    expect(part_box(page, part_id).locator(".num.error")).to_have_count(0)

    # the chat panel: an instruction, the stub's rewrite verified and shown as a diff, accepted
    chat_part = "overall.proactive"
    box = part_box(page, chat_part)
    box.locator("details.chat > summary").click()
    box.get_by_label("修改要求").fill("语气更正式")
    before = len(stub.chat_requests())
    box.get_by_role("button", name="发送").click()
    accept = part_box(page, chat_part).get_by_role("button", name="采纳", exact=True)
    expect(accept).to_be_visible(timeout=30_000)
    assert len(stub.chat_requests()) > before  # a real request reached the stub
    expect(part_box(page, chat_part).locator(".chat-diff ins").first).to_be_visible()
    accept.click()
    expect(part_box(page, chat_part).locator(".tag", has_text="已编辑")).to_be_visible()
    expect(part_box(page, chat_part).locator(".num.error")).to_have_count(0)

    # the gaps the clerk fills on the page, part by part
    browser_support.fill_gaps(page, FILLED)
    expect(page.locator(".part-box", has_text="【待补充")).to_have_count(0)
    assert page.locator(".part-box .num.error").count() == 0
    assert KEY not in page.content()

    # the .docx downloaded from the 核对 page and verified by the CLI: no error
    page.get_by_role("link", name="核对", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Word", exact=True).click()
    report = tmp_path / "report.docx"
    info.value.save_as(report)
    result = browser_support.verify_with_cli(report, LIWAN)
    assert result["errors"] == 0, result["findings"]
    assert KEY.encode() not in report.read_bytes()

    # reviewed on the page: as downloaded, it may be submitted
    page.get_by_label("送审稿（.docx）").set_input_files(report)
    page.get_by_role("button", name="上传并核对").click()
    expect(page.locator(".review-status")).to_contain_text("可以报送：未发现错误")

    # an editor's tracked insertion of a wrong number: found, and it may not be submitted
    edited = tmp_path / "edited.docx"
    edited.write_bytes(insert_tracked(report.read_bytes(), FILLED, "另办理申请99件。"))
    page.get_by_label("送审稿（.docx）").set_input_files(edited)
    page.get_by_role("button", name="上传并核对").click()
    expect(page.locator(".review-status")).to_contain_text("不可报送")
    expect(page.locator(".review-findings")).to_contain_text("99件")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载带批注的 Word 文档").click()
    annotated = tmp_path / "annotated.docx"
    info.value.save_as(annotated)
    assert annotated.read_bytes().startswith(b"PK")
