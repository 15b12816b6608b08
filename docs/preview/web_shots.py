"""Screenshots of every page of `drafter serve` for the README (docs/web-*.png), made the way a
person gets there: the server on a fresh workspace with the sample statistics, the stub model
of the tests as its configured model (no network), headless Chromium (Debian's `chromium`) at
1366×768. Run from the repository root:

    .venv/bin/python docs/preview/web_shots.py [--out docs]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import browser_support  # noqa: E402
from stub_openai import StubServer  # noqa: E402

SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
LIWAN = ROOT / "samples" / "liwan-qiaozhong-2023" / "stats.yaml"
BODIES = (("泉州市科学技术局", SAMPLE), ("广州市荔湾区人民政府桥中街道办事处", LIWAN))
SUMMARY = """2023年工作总结
一、主动公开工作
全年在门户网站“科技政策”专栏发布政策解读文件，组织线上答疑活动。
二、依申请公开工作
严格落实依申请公开工作流程，按时答复申请人。
三、存在的不足
政策解读形式较为单一，下一步将增加图解、视频等形式。
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    stub = StubServer().start()
    with tempfile.TemporaryDirectory(prefix="drafter-shots-") as tmp:
        home = Path(tmp)
        env = browser_support.model_env(home, stub.base_url, "sk-shots-not-a-key")
        serving = browser_support.serving(home / "ws", env)
        server = next(serving)
        summary = home / "工作总结.txt"
        summary.write_text(SUMMARY, encoding="utf-8")
        with sync_playwright() as manager:
            executable = browser_support.chromium_path()
            browser = manager.chromium.launch(
                executable_path=executable, headless=True, args=["--lang=zh-CN"]
            )
            context = browser.new_context(
                base_url=server.base_url, viewport={"width": 1366, "height": 768},
                accept_downloads=True, locale="zh-CN",
            )  # fmt: skip
            page = context.new_page()

            def shot(name: str, full: bool = False) -> None:
                path = args.out / f"web-{name}.png"
                page.screenshot(path=str(path), full_page=full)
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

            # 报告列表 with two reports
            for agency, stats in BODIES:
                page.goto("/")
                page.get_by_label("发布机关全称").fill(agency)
                page.get_by_label("统计年度").fill("2023")
                page.get_by_role("button", name="新建").click()
                page.get_by_label("统计文件").set_input_files(stats)
                page.get_by_role("button", name="上传 Excel / YAML").click()
                expect(page.locator("#findings .version")).to_contain_text("版本 2")
            page.goto("/")
            shot("reports")

            # 统计: the sample, the published report's errors at their cells
            page.goto("/")
            page.get_by_role("row", name=re.compile("泉州")).get_by_role("link").first.click()
            expect(page.locator("#findings")).to_be_visible()
            page.locator("td.mark-error").first.scroll_into_view_if_needed()
            shot("stats")

            # the other pages on the other body's report (its statistics have no error)
            page.goto("/")
            page.get_by_role("row", name=re.compile("桥中")).get_by_role("link").first.click()
            report_url = re.sub(r"/stats$", "", page.url)

            # 素材: the notes per part and a work summary's paragraphs
            page.goto(report_url + "/material")
            page.locator("input[type=file]").first.set_input_files(summary)
            page.locator("form:has(input[type=file]) button[type=submit]").first.click()
            page.wait_for_load_state("networkidle")
            shot("material")

            # 起草: the start page (the models offered), then the offline draft, marked
            page.goto(report_url + "/draft")
            shot("draft-start")
            page.get_by_role("button", name=re.compile("离线起草器起草")).click()
            expect(page.locator(".part-box").first).to_be_visible()
            page.locator(".part-box .num").first.scroll_into_view_if_needed()
            shot("draft")

            # 对话修改: an instruction and the verified rewrite as a diff
            box = page.locator("#part-overall-proactive")
            box.locator("details.chat > summary").click()
            box.get_by_label("修改要求").fill("语气更正式")
            box.get_by_role("button", name="发送").click()
            expect(box.locator(".chat-diff")).to_be_visible(timeout=30_000)
            box.locator(".chat-diff").scroll_into_view_if_needed()
            shot("chat")

            # 核对: the draft as downloaded, reviewed
            page.goto(report_url + "/review")
            with page.expect_download() as info:
                page.get_by_role("link", name="Word", exact=True).click()
            report = home / "report.docx"
            info.value.save_as(report)
            page.get_by_label("送审稿（.docx）").set_input_files(report)
            page.get_by_role("button", name="上传并核对").click()
            expect(page.locator(".review-status")).to_be_visible()
            shot("review")

            page.goto(report_url + "/calls")
            shot("calls")
            page.goto(report_url + "/history")
            shot("history")
            page.goto("/login")
            shot("login")
            browser.close()
        serving.close()
    stub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
