"""The layouts and prompts travel inside the wheel and are found from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("drafter-*.whl")
    return built


def test_wheel_carries_the_data_files(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "drafter/structured/gov-info-disclosure-2021.yaml",
        "drafter/structured/gov-info-disclosure-2021-seven-part.yaml",
        "drafter/structured/stats.schema.json",
        "drafter/structured/reference/postal-codes.yaml",
        "drafter/prompts/offline/overall.requests.j2",
        "drafter/prompts/offline/_macros.j2",
        "drafter/cli.py",
        "drafter/web/app.py",
        "drafter/web/templates/base.html",
        "drafter/web/templates/stats.html",
        "drafter/web/static/app.css",
        "drafter/web/static/app.js",
        "drafter/web/static/htmx.min.js",
        "drafter/web/static/htmx.LICENSE.txt",
    ):
        assert name in names, name
    assert any(n.startswith("drafter/prompts/") for n in names)
    # every file of the package (the stage subpackages, the pages' templates, scripts, data)
    package = Path(__file__).resolve().parents[1] / "drafter"
    shipped = {
        "drafter/" + path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - names == set()
    assert {"drafter/web/material_parts.yaml", "drafter/web/static/file_pick.js"} <= names
    assert "drafter/verification/verify.py" in names


def test_installed_wheel_finds_its_layouts_from_another_directory(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import drafter.resources as r, drafter.formats as f, drafter.statistics.load as l, drafter.drafting.draft as d;"
        "print(r.structured_dir()); print(f.load_layout().sections[0].heading);"
        f"print(d.draft_report(l.load_stats({str(SAMPLE)!r})).sections[0].subsections[1].heading)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, heading, drafted = result.stdout.strip().splitlines()
    assert where.startswith(str(target))
    assert heading == "一、总体情况"
    assert drafted == "（二）依申请公开方面"  # the offline templates were found in the wheel
