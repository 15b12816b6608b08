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
    from drafter.load import load_stats
    from drafter.workbook import workbook_bytes

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
