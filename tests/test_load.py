"""Reading statistics files: located, one-line errors; nothing silently becomes 0."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import base_data, dump_yaml

from drafter.errors import InputError
from drafter.statistics.load import load_stats


def write(tmp_path: Path, text: str, name: str = "stats.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_stats(path)
    return caught.value.lines()


def test_non_numeric_cell_names_file_line_path_and_value(tmp_path):
    text = dump_yaml(base_data()).replace(
        "    withheld:\n      third_party_rights:\n        natural_person: 1",
        "    withheld:\n      third_party_rights:\n        natural_person: 三",
    )
    path = write(tmp_path, text)
    [line] = problems(path)
    number = text.splitlines().index("        natural_person: 三") + 1
    assert line == (
        f"{path}:{number} applications.results.withheld.third_party_rights.natural_person: "
        '需要非负整数, 得到 "三"'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", "需要非负整数, 得到 -1"),
        ("1.5", "需要非负整数, 得到 1.5"),
        ("true", "需要非负整数, 得到 true"),
        ('"3"', '需要非负整数, 得到 "3"'),
        ("012", '需要非负整数, 得到 "012"'),  # YAML 1.1 would read octal 10
        ("[1]", "需要非负整数, 得到 一个列表"),
    ],
)
def test_bad_counts_are_rejected(tmp_path, value, expected):
    data = base_data()
    data["proactive"]["licensing"] = "PLACEHOLDER"
    path = write(tmp_path, dump_yaml(data).replace("PLACEHOLDER", value))
    [line] = problems(path)
    assert line.endswith(f"proactive.licensing: {expected}")


def test_blank_cell_loads_as_none(tmp_path):
    data = base_data()
    data["proactive"]["licensing"] = None
    stats = load_stats(write(tmp_path, dump_yaml(data)))
    assert stats.proactive.licensing is None


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path):
    data = base_data()
    data["proactive"]["normative_documents"]["in_forse"] = 3
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert 'proactive.normative_documents.in_forse: 未知的键 "in_forse"' in line
    assert '"in_force"' in line


def test_missing_section_is_an_error(tmp_path):
    data = base_data()
    del data["review_litigation"]
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert "review_litigation: 缺少必填项" in line


def test_omitted_columns_and_rows_are_zero(tmp_path):
    data = base_data()
    data["applications"]["carried_over"] = {"natural_person": 1}
    data["applications"]["results"]["not_processed"] = {}
    stats = load_stats(write(tmp_path, dump_yaml(data)))
    assert stats.applications.carried_over.commercial == 0
    assert stats.applications.carried_over.value("total") == 1
    assert stats.applications.results.not_processed.duplicate.value("total") == 0


def test_money_is_exact(tmp_path):
    data = base_data()
    text = dump_yaml(data).replace("admin_fees_10k_yuan: 0", "admin_fees_10k_yuan: 5949.088667")
    stats = load_stats(write(tmp_path, text))
    assert stats.proactive.admin_fees_10k_yuan == Decimal("5949.088667")
    assert isinstance(stats.proactive.admin_fees_10k_yuan, Decimal)


def test_yuan_allows_two_places_only(tmp_path):
    text = dump_yaml(base_data()).replace("notified_yuan: 0", "notified_yuan: 10.005")
    [line] = problems(write(tmp_path, text))
    assert "processing_fees.notified_yuan: 金额（单位：元）最多2位小数" in line


def test_all_problems_are_reported_at_once_in_line_order(tmp_path):
    data = base_data()
    data["proactive"]["penalty"] = "PENALTY"
    data["review_litigation"]["review"]["upheld"] = "UPHELD"
    text = dump_yaml(data).replace("PENALTY", "-2").replace("UPHELD", "x")
    lines = problems(write(tmp_path, text))
    assert len(lines) == 2
    numbers = [int(line.split(":")[1].split()[0]) for line in lines]
    assert numbers == sorted(numbers)


def test_fact_errors_name_the_fact(tmp_path):
    data = base_data()
    data["facts"] = [
        {
            "id": "items",
            "label": "信息",
            "value": "800多",
            "unit": "条",
            "section": "overall.proactive",
        }
    ]
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert "facts[0](items).value" in line and "approx: 多" in line


def test_duplicate_fact_ids(tmp_path):
    fact = {
        "id": "items",
        "label": "信息",
        "value": 1,
        "unit": "条",
        "section": "overall.proactive",
    }
    data = dict(base_data(), facts=[fact, dict(fact)])
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert "事实编号 items 重复出现" in line


def test_unknown_section_in_notes(tmp_path):
    data = dict(base_data(), notes={"overall.misc": "x"})
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert "notes.overall.misc" in line and "取值须为" in line


def test_unknown_format(tmp_path):
    data = dict(base_data(), format="gov-info-disclosure-2099")
    [line] = problems(write(tmp_path, dump_yaml(data)))
    assert "format" in line and "未知的版式" in line and "gov-info-disclosure-2021" in line


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("stats.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("stats.et", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("stats.txt", b"agency: x", "不支持的文件类型"),
        ("stats.yaml", b"", "文件是空的"),
        ("stats.yaml", b"- 1\n- 2\n", "顶层须为键值映射"),
        ("stats.yaml", b"agency: [\n", "YAML 格式错误"),
        ("stats.yaml", "agency: 某局\n".encode("gbk"), "UTF-8"),
        ("stats.yaml", b"a: 1\x00", "NUL"),
    ],
)
def test_unreadable_files(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    lines = problems(path)
    assert len(lines) == 1 and expected in lines[0]
    assert str(path) in lines[0] or path.name in lines[0]


def test_missing_file(tmp_path):
    [line] = problems(tmp_path / "nope.yaml")
    assert "文件不存在" in line


def test_hostile_yaml_billion_laughs_is_refused_quickly(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        refs = ",".join([f"*{prev}"] * 9)
        lines.append(f"{cur}: &{cur} [{refs}]")
    [line] = problems(write(tmp_path, "\n".join(lines)))
    assert "锚点" in line or "别名" in line


def test_duplicate_keys_are_refused(tmp_path):
    [line] = problems(write(tmp_path, "agency: 甲\nyear: 2023\nagency: 乙\n"))
    assert ":3" in line and "重复" in line


def test_huge_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "stats.yaml"
    with path.open("wb") as handle:
        handle.write(b"# " + b"x" * (6 * 1024 * 1024))
    [line] = problems(path)
    assert "文件过大" in line


def test_deep_nesting_is_refused(tmp_path):
    [line] = problems(write(tmp_path, "a: " + "[" * 200 + "]" * 200))
    assert "嵌套层次过深" in line


def test_tags_are_refused(tmp_path):
    [line] = problems(write(tmp_path, "agency: !!python/object:os.system x\n"))
    assert "不支持的 YAML 标签" in line or "YAML" in line


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("agency: x\n\tyear: 2023\n", "用了制表符（Tab）缩进"),
        ("agency: [x\n", "方括号没有闭合"),
        ("a: b: c\n", "这里不能有冒号"),
        ('agency: "a\\q"\n', "不认识的转义字符"),
    ],
)
def test_yaml_syntax_errors_are_said_in_chinese(tmp_path, text, words):
    path = tmp_path / "stats.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_stats(path)
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", message.split("YAML 格式错误：")[1])
