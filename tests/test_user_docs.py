"""The user documents stand alone.

docs/format.md explains every rule id a finding can cite and prints every official label of the
layouts; docs/statistics-file.md names every key of the statistics file; every relative link of the
README and of docs/ leads to a file of the repository (and a heading, for a #fragment), and none
of them points at the design notes outside it. Each check is a function that returns what is
missing, so that it can be shown to fail on a document that lacks something.
"""

from __future__ import annotations

import re
import typing
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import yaml
from conftest import ROOT, SAMPLE
from pydantic import BaseModel

from drafter.checking.findings import CODES
from drafter.errors import INPUT_CODES
from drafter.statistics.stats import Stats

DOCS = ROOT / "docs"
FORMAT_DOC = DOCS / "format.md"
STATS_DOC = DOCS / "statistics-file.md"
LAYOUTS = sorted((ROOT / "structured").glob("gov-info-disclosure-*.yaml"))

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_CODE = re.compile(r"`([EWA]-[A-Z0-9]+(?:-[A-Z0-9]+)*)`")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _user_documents() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


# ---- rule ids -------------------------------------------------------------------------------


def _table_rows(markdown: str) -> list[list[str]]:
    """The cells of every table row (separator rows left out), markup stripped."""
    rows = []
    for line in _FENCE.sub("", markdown).splitlines():
        line = line.strip()
        if not line.startswith("|") or re.fullmatch(r"\|[\s:|-]+\|?", line):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(cells)
    return rows


def _plain(cell: str) -> str:
    return cell.replace("`", "").replace("*", "").strip()


def documented_rule_ids(markdown: str) -> set[str]:
    """Rule ids that a heading starts with or that are the first cell of a table row; a heading
    numbered 1.2 documents the rule id §1.2."""
    found: set[str] = set()
    for line in _FENCE.sub("", markdown).splitlines():
        heading = re.match(r"#{1,6}\s+(\S+)", line)
        if heading:
            first = _plain(heading.group(1))
            found.add(first)
            if re.fullmatch(r"\d+(\.\d+)*[a-z]?\.?", first):
                found.add("§" + first.rstrip("."))
    found.update(_plain(cells[0]) for cells in _table_rows(markdown) if cells)
    return found


def missing_rule_ids(markdown: str, ids: typing.Iterable[str]) -> list[str]:
    documented = documented_rule_ids(markdown)
    return sorted({r for r in ids if r not in documented})


def _all_rule_ids() -> set[str]:
    return {rule for code in CODES.values() for rule in code.rules}


def test_every_rule_id_of_a_finding_is_a_heading_or_table_row_of_the_format_document():
    assert _all_rule_ids() >= {"T3-1", "N-1", "F-1", "X-1", "FEE-1", "DESIGN", "§1.2"}
    assert missing_rule_ids(_read(FORMAT_DOC), _all_rule_ids()) == []


def test_a_rule_id_only_mentioned_in_prose_is_not_documented():
    markdown = (
        "## 4. 规则\n\n| 规则 | 内容 |\n|---|---|\n| T3-1 | 勾稽关系 |\n\n"
        "正文中提到 X-1，不算说明。\n\n### 1.2 格式版本\n\n```\n| N-1 | 代码块中的表格不算 |\n```\n"
    )
    assert missing_rule_ids(markdown, ["T3-1", "X-1", "§1.2", "§2.2", "N-1"]) == [
        "N-1",
        "X-1",
        "§2.2",
    ]


def _rows_by_rule(markdown: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for cells in _table_rows(markdown):
        rows.setdefault(_plain(cells[0]), []).append(" | ".join(cells))
    return rows


def codes_not_in_their_rule_rows(markdown: str) -> list[str]:
    """Each finding code must be named in a row of every rule it cites, and a rule's row may
    name only codes that cite that rule (so that the table says which code checks what)."""
    rows = _rows_by_rule(markdown)
    problems = []
    for code in CODES.values():
        for rule in code.rules:
            if not any(f"`{code.code}`" in row for row in rows.get(rule, [])):
                problems.append(f"{code.code} not in a row of {rule}")
    rule_ids = _all_rule_ids()
    for rule, texts in rows.items():
        if rule not in rule_ids:
            continue
        for text in texts:
            for named in _CODE.findall(text):
                if named in CODES and rule not in CODES[named].rules:
                    problems.append(f"row {rule} names {named}, which cites {CODES[named].rules}")
    return problems


def test_every_finding_code_is_named_in_the_rows_of_its_rules():
    assert codes_not_in_their_rule_rows(_read(FORMAT_DOC)) == []


def test_a_code_missing_from_its_rule_row_or_in_a_wrong_row_is_found():
    lines = _read(FORMAT_DOC).splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("| T3-1 |"))
    lines[row] = lines[row].replace("`E-SUM-BALANCE`", "`E-SUM-ROW`")
    text = "\n".join(lines)
    problems = codes_not_in_their_rule_rows(text)
    assert "E-SUM-BALANCE not in a row of T3-1" in problems
    assert any(p.startswith("row T3-1 names E-SUM-ROW") for p in problems)


def unknown_codes(markdown: str) -> list[str]:
    return sorted({c for c in _CODE.findall(markdown) if c not in CODES and c not in INPUT_CODES})


def test_the_user_documents_name_only_codes_that_exist():
    for path in (FORMAT_DOC, STATS_DOC):
        assert unknown_codes(_read(path)) == [], path.name
    assert unknown_codes("报 `E-SUM-BALANCE`、`E-STATS-VALUE` 和 `E-NO-SUCH-CODE`") == [
        "E-NO-SUCH-CODE"
    ]


# ---- official labels ------------------------------------------------------------------------


def layout_labels(layout: dict[str, typing.Any]) -> set[str]:
    """Every printed text of a layout file: cell texts, section titles and their aliases."""
    labels: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title") and isinstance(value, str) and value:
                    labels.add(value)
                elif key == "aliases":
                    labels.update(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(layout.get("sections", []))
    walk(layout.get("tables", {}))
    return labels


def missing_labels(markdown: str, labels: typing.Iterable[str]) -> list[str]:
    return sorted(label for label in labels if label not in markdown)


def test_every_official_label_of_the_layouts_is_printed_character_exact():
    assert len(LAYOUTS) >= 2
    text = _read(FORMAT_DOC)
    for path in LAYOUTS:
        labels = layout_labels(yaml.safe_load(_read(path)))
        assert "3.危及“三安全一稳定”" in labels or "seven" in path.name
        assert missing_labels(text, labels) == [], path.name
    # A half-width bracket is another label.
    assert missing_labels("（七）总计", ["(七)总计", "（七）总计"]) == ["(七)总计"]


# ---- keys of the statistics file --------------------------------------------------------------


def _models_in(annotation: object) -> list[tuple[type[BaseModel], bool]]:
    """The models an annotation holds, each with whether it is an item of a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    found = []
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        for model, in_list in _models_in(arg):
            found.append((model, in_list or origin is list))
    return found


def _literals(annotation: object) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return [v for arg in typing.get_args(annotation) for v in _literals(arg)]


def statistics_keys(model: type[BaseModel] = Stats) -> tuple[list[str], list[str], list[str]]:
    """(dotted key paths, column names, fixed values): the paths of every key whose model occurs
    once (`applications.results.withheld.state_secret`); the names of the keys of a model that
    repeats or is an item of a list (the seven columns of table 三's 25 rows, a fact's fields);
    and the values a key may take from a fixed list (part codes, approx words)."""
    uses: dict[type[BaseModel], int] = {}

    def count(m: type[BaseModel]) -> None:
        for field in m.model_fields.values():
            for sub, in_list in _models_in(field.annotation):
                uses[sub] = uses.get(sub, 0) + (2 if in_list else 1)
                count(sub)

    count(model)
    paths: list[str] = []
    names: set[str] = set()
    values: set[str] = set()

    def walk(m: type[BaseModel], prefix: str) -> None:
        repeated = uses.get(m, 1) > 1
        for name, field in m.model_fields.items():
            if repeated:
                names.add(name)
            else:
                paths.append(prefix + name)
            values.update(_literals(field.annotation))
            for sub, _ in _models_in(field.annotation):
                walk(sub, prefix + name + ".")

    walk(model, "")
    return paths, sorted(names), sorted(values)


def missing_keys(markdown: str, model: type[BaseModel] = Stats) -> list[str]:
    paths, names, values = statistics_keys(model)
    return [k for k in [*paths, *names, *values] if f"`{k}`" not in markdown]


def test_statistics_keys_cover_every_row_column_and_part():
    paths, names, values = statistics_keys()
    assert "applications.results.other.fee_unpaid" in paths
    assert "cover_letter.date" in paths and "profile.self_name" in paths
    assert {"natural_person", "total", "in_force", "pending", "cell", "approx"} <= set(names)
    assert {"overall", "overall.proactive", "problems", "other", "多", "逾"} <= set(values)


def test_every_key_of_the_statistics_file_is_documented():
    assert missing_keys(_read(STATS_DOC)) == []


def test_a_key_left_out_of_the_statistics_document_is_found():
    text = _read(STATS_DOC)
    for key in (
        "cover_letter.date",
        "applications.results.withheld.query_matters",
        "legal_service",
    ):
        assert key in missing_keys(text.replace(f"`{key}`", key)), key


def test_the_complete_example_is_the_sample_and_it_loads():
    from drafter.statistics.load import load_stats

    block = _read(STATS_DOC).split("<!-- sample-start -->")[1].split("<!-- sample-end -->")[0]
    example = block.strip().removeprefix("```yaml").removesuffix("```").strip()
    assert example == _read(SAMPLE).strip(), "docs/statistics-file.md §13 differs from the sample"
    assert load_stats(SAMPLE).agency == "泉州市科学技术局"


# ---- links --------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    kept = "".join(
        ch
        for ch in text
        if ch in "-_ " or not unicodedata.category(ch).startswith(("P", "S", "C", "Z"))
    )
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in _FENCE.sub("", markdown).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = _slug(heading.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def link_targets(markdown: str) -> list[str]:
    """The targets of inline links and images and of reference definitions, outside code."""
    text = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)", text)
    defined = re.findall(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)", text, re.M)
    return inline + defined


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    markdown = _read(path)
    broken = []
    for target in link_targets(markdown):
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        try:
            resolved.relative_to(root.resolve())
        except ValueError:
            broken.append(f"{target} (outside the repository)")
            continue
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif (
            fragment
            and resolved.suffix == ".md"
            and resolved.is_file()
            and unquote(fragment).lower() not in anchors(_read(resolved))
        ):
            broken.append(f"{target} (no such heading)")
    return broken


def test_every_relative_link_in_the_readme_and_docs_resolves():
    problems = {
        str(path.relative_to(ROOT)): broken_links(path)
        for path in _user_documents()
        if broken_links(path)
    }
    assert problems == {}


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# 1. 第一节：概要\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "[好](other.md) [好](other.md#1-第一节概要) [好](https://example.org/x.md)\n"
        "[坏](missing.md) [坏](other.md#没有这一节) [坏](../../outside.md)\n"
        "![坏](images/none.png)\n[ref]: nowhere.md\n"
        "```\n[代码块中的不算](missing-in-code.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == [
        "missing.md (no such file)",
        "other.md#没有这一节 (no such heading)",
        "../../outside.md (outside the repository)",
        "images/none.png (no such file)",
        "nowhere.md (no such file)",
    ]


def outside_mentions(markdown: str) -> list[str]:
    return [word for word in ("../shared", "seeds/") if word in markdown]


def test_no_user_document_points_at_the_design_notes_outside_the_repository():
    for path in _user_documents():
        assert outside_mentions(_read(path)) == [], path.name
    assert outside_mentions("见 `seeds/quanzhou-kj-2023-report.txt` 与 ../shared/x.md") == [
        "../shared",
        "seeds/",
    ]


def test_the_old_english_documents_are_gone():
    names = {p.name for p in DOCS.iterdir()}  # not Path.exists: FORMAT.md is format.md on macOS
    assert "CONTRACT.md" not in names and "FORMAT.md" not in names
