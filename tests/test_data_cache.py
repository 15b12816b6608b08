"""The data files shipped with drafter (layouts, reference tables) are read back from a JSON
cache in drafter's cache directory when they have not changed (drafter.yamlsource), which
spares every check parsing them: the data is the same either way, a changed file is parsed
again, and nothing the cache could not give back exactly is cached."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest
import yaml

from drafter import yamlsource
from drafter.errors import InputError
from drafter.resources import structured_dir
from drafter.yamlsource import cache_dir, read_trusted_yaml


@pytest.fixture
def writes_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def cache_files() -> list[Path]:
    folder = cache_dir()
    assert folder is not None
    return sorted((folder / "data").glob("*.json")) if (folder / "data").exists() else []


def test_the_cache_lives_in_drafter_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "cache"


@pytest.mark.parametrize(
    "name",
    ["reference/postal-codes.yaml", "gov-info-disclosure-2021.yaml", "reference/numbers.yaml"],
)
def test_data_from_the_cache_is_the_data_parsed(writes_cache, monkeypatch, name):
    path = structured_dir() / name
    parsed = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    assert read_trusted_yaml(path) == parsed
    assert len(cache_files()) == 1

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yamlsource.yaml, "load", no_parsing)
    assert read_trusted_yaml(path) == parsed


def test_a_changed_file_is_parsed_again(writes_cache, tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    assert read_trusted_yaml(path) == {"a": 1, "b": ["x", "y"]}
    path.write_text("a: 2\nb: [x, y]\n", encoding="utf-8")
    assert read_trusted_yaml(path) == {"a": 2, "b": ["x", "y"]}
    assert len(cache_files()) == 1  # one entry per file, replaced


def test_what_json_would_change_is_not_cached(writes_cache, tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text("when: 2024-01-15\n1: one\n", encoding="utf-8")
    assert read_trusted_yaml(path) == {"when": datetime.date(2024, 1, 15), 1: "one"}
    assert cache_files() == []
    assert read_trusted_yaml(path) == {"when": datetime.date(2024, 1, 15), 1: "one"}


def test_nothing_is_written_when_python_writes_no_bytecode(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "data.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_trusted_yaml(path) == {"a": 1}
    assert cache_files() == []


def test_a_damaged_or_unwritable_cache_is_ignored(writes_cache, monkeypatch, tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    read_trusted_yaml(path)
    [entry] = cache_files()
    entry.write_text('{"key": "', encoding="utf-8")
    assert read_trusted_yaml(path) == {"a": 1}
    blocked = tmp_path / "home-is-a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_HOME", str(blocked))
    assert read_trusted_yaml(path) == {"a": 1}


def test_errors_are_still_reported(writes_cache, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_trusted_yaml(path)
    assert error.value.code == "E-LAYOUT"
    with pytest.raises(InputError):
        read_trusted_yaml(tmp_path / "missing.yaml")
