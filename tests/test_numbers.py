"""Finding numbers in Chinese text: every form the issue names, and what is not a statistic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafter.verification.numbers import approx_contains, find_numbers, parse_chinese, to_chinese


def found(text: str) -> list[tuple[str, Decimal, str | None, str | None]]:
    return [(m.text, m.value, m.unit, m.approx) for m in find_numbers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("公开政府信息143条", [("143条", Decimal(143), "条", None)]),
        ("收到申请１４３件", [("１４３件", Decimal(143), "件", None)]),
        ("共受理10,538件", [("10,538件", Decimal(10538), "件", None)]),
        ("收费5949.088667万元", [("5949.088667万元", Decimal("59490886.67"), "元", None)]),
        ("占36%", [("36%", Decimal(36), "%", None)]),
        ("占36.5％", [("36.5％", Decimal("36.5"), "%", None)]),
        ("占百分之三十六", [("百分之三十六", Decimal(36), "%", None)]),
        ("收到申请十五件", [("十五件", Decimal(15), "件", None)]),
        ("办理两件", [("两件", Decimal(2), "件", None)]),
        ("公开一百四十三条", [("一百四十三条", Decimal(143), "条", None)]),
        ("服务1.5万人次", [("1.5万人次", Decimal(15000), "人次", None)]),
        ("收取3千余元", [("3千余元", Decimal(3000), "元", "余")]),
        ("发布各类信息800多条", [("800多条", Decimal(800), "条", "多")]),
        ("发布5500余条", [("5500余条", Decimal(5500), "条", "余")]),
        ("办理近百件", [("近百件", Decimal(100), "件", "近")]),
        ("超过30人次参加", [("超过30人次", Decimal(30), "人次", "超过")]),
        ("逾200条", [("逾200条", Decimal(200), "条", "逾")]),
        ("约30人", [("约30人", Decimal(30), "人", "约")]),
        ("50件以上", [("50件以上", Decimal(50), "件", "以上")]),
        ("主办4件、协办11件", [("4件", Decimal(4), "件", None), ("11件", Decimal(11), "件", None)]),
        ("收取信息处理费100元", [("100元", Decimal(100), "元", None)]),
    ],
)
def test_forms(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "统计期限自2023年1月1日起至2023年12月31日止",
        "二〇二三年，今年6月，3月份，12月底",
        "根据《条例》第二十条第（一）项、第三十三条",
        "国务院令第711号",
        "泉科函〔2024〕2号、国办公开办函〔2021〕30号、国办公开办函[2019]60号",
        "联系电话：0595-22579359，传真：(0595)22579371，手机13800138000",
        "邮政编码：350000",
        "通讯地址：泉州市丰泽区东海街道市行政中心D栋交通科研楼909；",
        "网址http://kj.quanzhou.gov.cn/index.html，www.gov.cn，kj.quanzhou.gov.cn",
        "电子邮箱：kjj@quanzhou.gov.cn",
        "完成IPv6改造",
        "一、总体情况",
        "（一）主动公开",
        "1.政府信息公开情况。",
        "一是加强领导。二是完善制度。三是强化监督。",
        "落实“三审”要求，三审三校",
        "危及“三安全一稳定”、三类内部事务信息、四类过程性信息",
        "拨打12345热线",
        "在20个工作日内予以答复",
        "全文由总体情况……等六个部分组成",
        "一网通办、最多跑一次、一件事一次办",
        "进一步统一规范，一是，第一时间",
        "两三个",
    ],
)
def test_not_statistics(text):
    assert found(text) == []


def test_composite_and_mixed_sentence():
    text = "全年承办人大代表建议15件，其中主（独）办4件、协办11件；办结率100%，2023年6月完成。"
    assert [m.text for m in find_numbers(text)] == ["15件", "4件", "11件", "100%"]


def test_spans_point_at_the_text():
    text = "本年度共收到政府信息公开申请3件，其中自然人申请2件。"
    for mention in find_numbers(text):
        assert text[mention.start : mention.end] == mention.text


def test_values_are_decimals_not_floats():
    for mention in find_numbers("收费0.1万元，占33.3%，1.5万人次"):
        assert isinstance(mention.value, Decimal)
    assert find_numbers("0.1万元")[0].readings()[1] == (Decimal("0.1"), "万元")


@pytest.mark.parametrize(
    ("stated", "word", "inside", "outside"),
    [
        (800, "多", [801, 899], [800, 900, 790]),
        (5500, "余", [5501, 5599], [5500, 5600]),
        (100, "近", [90, 99, 100], [89, 101]),
        (30, "约", [25, 30, 35], [24, 36]),
        (50, "以上", [50, 59], [49, 60]),
        (200, "超过", [201, 299], [200]),
    ],
)
def test_approximate_forms_are_ranges(stated, word, inside, outside):
    assert all(approx_contains(stated, word, v) for v in inside)
    assert not any(approx_contains(stated, word, v) for v in outside)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("零", 0),
        ("十", 10),
        ("十五", 15),
        ("一十五", 15),
        ("二十", 20),
        ("一百零五", 105),
        ("一千零一十", 1010),
        ("两万零五", 20005),
        ("三万五", 35000),
        ("两千三", 2300),
        ("一亿零一", 100000001),
        ("二〇二三", 2023),
        ("一〇〇", 100),
        ("九千九百九十九万", 99990000),
    ],
)
def test_chinese_numerals(text, value):
    assert parse_chinese(text) == value


@pytest.mark.parametrize("text", ["三五", "十十", "百", "亿", "abc", ""])
def test_not_chinese_numerals(text):
    if text == "百":
        assert parse_chinese(text) == 100  # 近百: a bare unit is a round number
        return
    with pytest.raises(ValueError):
        parse_chinese(text)


@settings(max_examples=3000)
@given(st.integers(min_value=0, max_value=10**8))
def test_every_integer_round_trips_through_chinese(n):
    written = to_chinese(n)
    assert parse_chinese(written) == n
    # 两 for 二 before a unit is the same number
    assert (
        parse_chinese(
            written.replace("二千", "两千").replace("二万", "两万").replace("二百", "两百")
        )
        == n
    )
    # and the number is found in running text with a unit
    [mention] = find_numbers(f"共收到申请{written}件。")
    assert mention.value == n


@settings(max_examples=500)
@given(st.integers(min_value=0, max_value=10**8))
def test_every_integer_round_trips_through_arabic_forms(n):
    grouped = f"{n:,}"
    fullwidth = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for written in (str(n), grouped, fullwidth):
        [mention] = find_numbers(f"共受理申请{written}件，")
        assert mention.value == n, written


@given(st.integers(min_value=1900, max_value=2099))
def test_years_are_never_statistics(year):
    digits = "〇一二三四五六七八九"
    chinese = "".join(digits[int(d)] for d in str(year))
    assert find_numbers(f"{year}年，{chinese}年度") == []
