"""`drafter serve FILE…`: statistics files added to the workspace before serving, through the
same readers as an upload on the 统计 page."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from drafter.cli import app
from drafter.errors import InputError
from drafter.web.adding import add_statistics_file
from drafter.web.site import STATS_DOC

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*/stats.yaml"))


def test_each_sample_becomes_a_report_with_its_file_as_first_version(workspace) -> None:
    added = [add_statistics_file(workspace, path) for path in SAMPLES]
    assert all(a.new for a in added)
    reports = workspace.list_reports()
    assert len(reports) == len(SAMPLES) == 3
    for a, path in zip(added, SAMPLES, strict=True):
        assert workspace.read(a.report.id, "stats", STATS_DOC) == path.read_bytes()
        assert workspace.history(a.report.id, "stats", STATS_DOC)[0].author == "命令行"
    errors = {a.report.agency: a.errors for a in added}
    assert errors["泉州市科学技术局"] > 0  # the sample keeps the published report's errors
    assert errors["洪江区沅江路街道办事处"] == 0


def test_adding_again_keeps_what_the_user_changed(workspace) -> None:
    first = add_statistics_file(workspace, SAMPLES[0])
    head = workspace.head(first.report.id, "stats", STATS_DOC)
    assert head is not None
    edited = SAMPLES[0].read_bytes() + b"\n# edited on the page\n"
    workspace.save(
        first.report.id, "stats", STATS_DOC, edited, base_version=head.number, author="x"
    )
    again = add_statistics_file(workspace, SAMPLES[0])
    assert not again.new and again.report == first.report
    assert workspace.read(first.report.id, "stats", STATS_DOC) == edited


def test_a_workbook_is_stored_as_its_statistics_yaml(workspace, tmp_path: Path) -> None:
    from drafter.formats import load_layout
    from drafter.statistics.load import load_stats
    from drafter.statistics.workbook import workbook_bytes

    stats = load_stats(SAMPLES[-1])
    book = tmp_path / "统计.xlsx"
    book.write_bytes(workbook_bytes(load_layout(stats.format), stats))
    added = add_statistics_file(workspace, book)
    stored = tmp_path / "stored.yaml"
    stored.write_bytes(workspace.read(added.report.id, "stats", STATS_DOC))
    assert load_stats(stored).model_dump() == stats.model_dump()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("bad.yaml", b"agency: [\n", "E-YAML-SYNTAX"),
        ("stats.txt", b"agency: x\n", "E-FILE-TYPE"),
        ("fake.xlsx", b"not a zip", None),
    ],
)
def test_an_unreadable_file_is_one_error_and_adds_nothing(
    workspace, tmp_path: Path, name: str, content: bytes, code: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        add_statistics_file(workspace, path)
    problem = caught.value.problems[0]
    assert name in str(problem.file or problem.message)
    if code:
        assert problem.code == code
    assert workspace.list_reports() == []


def test_serve_with_an_unreadable_file_stops_before_serving_and_adds_nothing(
    tmp_path: Path,
) -> None:
    from drafter.workspace import Workspace

    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"agency: [\n")
    result = CliRunner().invoke(
        app, ["serve", str(SAMPLES[0]), str(bad), "--workspace", str(tmp_path / "ws")]
    )
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "Traceback" not in result.output
    assert "已启动" not in result.output
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.list_reports() == []  # the good file before it was not added either


def test_the_readmes_serve_command_opens_a_workspace_with_the_samples(tmp_path: Path) -> None:
    """The README's command that opens the workspace on the samples, run as written (its
    `drafter serve …` part, from the repository, on a free port): the page lists the three
    samples' reports."""
    import glob
    import os
    import shlex
    import subprocess
    import sys
    import time
    import urllib.request

    import browser_support

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- serve-command -->")[1].split("<!-- /serve-command -->")[0]
    [line] = [x for x in block.splitlines() if "drafter serve" in x]
    args = shlex.split(line.split("&& .venv/bin/drafter ")[-1])
    assert args[0] == "serve"
    args = [
        arg
        for pattern in args[1:]
        for arg in (sorted(glob.glob(pattern, root_dir=ROOT)) if "*" in pattern else [pattern])
    ]
    workspace = args[args.index("--workspace") + 1]
    args[args.index("--workspace") + 1] = str(tmp_path / workspace)
    assert len([a for a in args if a.endswith("stats.yaml")]) == len(SAMPLES) == 3
    port = browser_support.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}
    env["DRAFTER_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [sys.executable, "-m", "drafter", "serve", *args, "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + browser_support.START_TIMEOUT
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode("utf-8")
                break
            except OSError:
                assert time.monotonic() < deadline, "drafter serve did not answer"
                time.sleep(0.1)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    for agency in ("泉州市科学技术局", "洪江区沅江路街道办事处", "桥中街道办事处"):
        assert agency in page
    assert output.count("已加入工作区") == 3 and "http://127.0.0.1:" in output
