"""Fixtures for the browser tests (issue 13): `drafter serve` as a real server in a subprocess
and headless Chromium from the Debian package `chromium`, driven by Playwright.

Playwright's own browser download comes from its CDN, which an intranet (and CI here) cannot
reach, so the browser is the system's: `DRAFTER_CHROMIUM`, else `chromium` on the PATH
(`.ci/run` installs it with apt when it is missing). Playwright talks to it over a pipe
(`--remote-debugging-pipe`), so no debugging port is opened and pytest-socket is not involved.

When the browser cannot start, the tests are skipped with the reason, except under `CI=true`,
where they fail: CI must never pass without having run them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 30.0  # seconds for the server to answer


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: the browser tests must run in CI."""
    if in_ci():
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def require_playwright() -> Any:
    """Playwright's `expect`, or skip the module (fail it under CI=true) without Playwright."""
    try:
        from playwright.sync_api import expect
    except ImportError as error:
        reason = f"Playwright is not installed ({error}): pip install -e '.[test]'"
        if in_ci():
            pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return expect


def chromium_path() -> str | None:
    given = os.environ.get("DRAFTER_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base_url: str, workspace: Path) -> None:
        self.base_url = base_url
        self.workspace = workspace


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`drafter serve --workspace <tmp> --port <free>` as a subprocess, stopped at the end."""
    yield from serving(tmp_path_factory.mktemp("browser") / "ws")


def model_env(home: Path, base_url: str, key: str) -> dict[str, str]:
    """This environment without any drafter or OpenAI setting, plus a home of its own and the
    OpenAI-compatible server at `base_url` as the one configured model ("env", stub-model)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAFTER_", "OPENAI_"))}
    env.update(
        DRAFTER_HOME=str(home),
        DRAFTER_MODELS=str(home / "no-models-file.yaml"),
        DRAFTER_BASE_URL=base_url,
        DRAFTER_MODEL="stub-model",
        DRAFTER_API_KEY=key,
    )
    return env


def serving(workspace: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`drafter serve` on `workspace` (with the environment `env`, else this one) until the
    generator is closed."""
    log = workspace.parent / "serve.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "drafter", "serve", "--workspace", str(workspace),
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"drafter serve exited ({process.returncode}):\n{log.read_text()}")
                try:
                    with urllib.request.urlopen(base_url + "/", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"drafter serve did not answer in {START_TIMEOUT:.0f} s")
                time.sleep(0.1)
            yield Server(base_url, workspace)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (the Debian package), or skip / fail (CI=true) with the reason."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        unavailable(f"Playwright is not installed ({error}); pip install -e '.[test]'")
    executable = chromium_path()
    if executable is None:
        unavailable("no Chromium: apt-get install chromium, or set DRAFTER_CHROMIUM")
    manager = sync_playwright().start()
    try:
        try:
            chromium = manager.chromium.launch(executable_path=executable, headless=True)
        except Error as error:
            unavailable(f"Chromium ({executable}) did not start: {error}")
        yield chromium
        chromium.close()
    finally:
        manager.stop()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page at 1366×768 (the issue's screen), downloads accepted."""
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": 1366, "height": 768},
        accept_downloads=True, locale="zh-CN",
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


GAP = re.compile(r"【待补充[^】]*】")


def fill_gaps(page: Any, filled: str, most: int = 40) -> None:
    """Fill every 【待补充…】 left in the draft page's parts as a clerk does: open the part's
    editor, write `filled` where each gap was, save, wait for the marked part."""
    for _ in range(most):
        gap_box = page.locator(".part-box", has_text="【待补充").first
        if gap_box.count() == 0:
            return
        box = page.locator(f"#{gap_box.get_attribute('id')}")
        box.get_by_role("button", name="编辑", exact=True).click()
        text = box.locator("textarea[name=text]")
        text.fill(GAP.sub(filled, text.input_value()))
        box.get_by_role("button", name="保存", exact=True).click()
        box.locator("textarea[name=text]").wait_for(state="detached")


def verify_with_cli(document: Path, stats: Path) -> dict[str, Any]:
    """`python -m drafter verify DOCUMENT --stats STATS --json`, which must exit 0: its
    JSON."""
    import json

    verified = subprocess.run(
        [sys.executable, "-m", "drafter", "verify", str(document), "--stats", str(stats),
         "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return json.loads(verified.stdout)
