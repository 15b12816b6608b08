"""The statistics of one report: the contract of docs/statistics-file.md as pydantic models.

Conventions (from the contract):
- a column left out of a table row is 0; `total` left out is derived, `total` given is checked;
- an explicit `null` is a *blank* cell, which the checker reports (blank is not 0 in a
  submitted report) but which still loads, so a published report with blank cells can be
  represented as it was published;
- counts are non-negative integers, amounts of money are exact `Decimal`s (never float);
- unknown keys are errors: a typo must not silently become 0.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from drafter.limits import (
    MAX_COUNT,
    MAX_COUNT_TEXT,
    MAX_DECIMAL_PLACES,
    MAX_FACTS,
    MAX_LABEL_CHARS,
    MAX_NOTE_CHARS,
)

SectionId = Literal[
    "overall",
    "overall.proactive",
    "overall.requests",
    "overall.management",
    "overall.platforms",
    "overall.supervision",
    "problems",
    "other",
]

# Table 三's data columns, left to right; "法人或其他组织" is only a spanning header.
APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
)
TOTAL = "total"
REVIEW_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending")


def clip(text: str, size: int = 40) -> str:
    """A value as a message may quote it: a long one cut, with its length (a 4,301-digit
    number must not make a 4,301-character line)."""
    if len(text) <= size:
        return text
    return f"{text[: size // 2]}…（共 {len(text)} 个字符）"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{clip(value)}"'
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return "一组数据" if isinstance(value, dict) else "一个列表"
    if isinstance(value, int) and value.bit_length() > 128:  # str() refuses 4,300+ digits
        return "一个位数过多的整数"
    return clip(str(value))


def _not_count(value: Any) -> PydanticCustomError:
    return PydanticCustomError("count", "需要非负整数, 得到 {got}", {"got": _shown(value)})


def _too_large(value: Any) -> PydanticCustomError:
    return PydanticCustomError(
        "count_too_large",
        "数值过大, 得到 {got}（件数、金额不会超过{limit}）",
        {"got": _shown(value), "limit": MAX_COUNT_TEXT},
    )


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise _not_count(value)
    if isinstance(value, Decimal | float):
        if value != value or value in (float("inf"), float("-inf")) or value < 0:
            raise _not_count(value)
        if value > MAX_COUNT:  # before int(): int(Decimal("1E+999999999")) never ends
            raise _too_large(value)
        if value != int(value):
            raise _not_count(value)
        value = int(value)
    if value < 0:
        raise _not_count(value)
    if value > MAX_COUNT:
        raise _too_large(value)
    return value


_DECIMAL_TEXT = re.compile(r"\d+(\.\d+)?")


def _money(value: Any, *, places: int | None, unit: str) -> Decimal:
    hint = f"需要非负金额（单位：{unit}）, 得到 {{got}}"
    if isinstance(value, bool):
        raise PydanticCustomError("money", hint, {"got": _shown(value)})
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, float):
        # A float can only come from a Python caller or a spreadsheet; its shortest repr is
        # the number that was typed.
        amount = Decimal(repr(value))
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        raise PydanticCustomError("money", hint, {"got": _shown(value)})
    try:
        finite = amount.is_finite()
    except InvalidOperation:  # pragma: no cover - Decimal.is_finite does not raise
        finite = False
    if not finite or amount < 0:
        raise PydanticCustomError("money", hint, {"got": _shown(value)})
    if amount > MAX_COUNT:
        raise _too_large(value)
    exponent = amount.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        raise PydanticCustomError(
            "money_places",
            "金额（单位：{unit}）最多{places}位小数, 得到 {got}",
            {"unit": unit, "places": places, "got": _shown(value)},
        )
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise PydanticCustomError(
            "money_places",
            "小数位数过多（超过{places}位）, 得到 {got}",
            {"places": MAX_DECIMAL_PLACES, "got": _shown(value)},
        )
    return amount


def _fact_value(value: Any) -> int | Decimal:
    if isinstance(value, str):
        raise PydanticCustomError(
            "fact_value",
            "需要非负数, 得到 {got}（近似数请写成 value: 800 和 approx: 多）",
            {"got": _shown(value)},
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return _count(value)
    amount = _money(value, places=None, unit="与 unit 一致")
    return int(amount) if amount == amount.to_integral_value() and "." not in str(value) else amount


_COUNT_SCHEMA = {"type": "integer", "minimum": 0}
_MONEY_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
    ]
}

Count = Annotated[int, PlainValidator(_count), WithJsonSchema(_COUNT_SCHEMA)]
Cell = Annotated[
    int | None,
    PlainValidator(lambda v: None if v is None else _count(v)),
    WithJsonSchema({"anyOf": [_COUNT_SCHEMA, {"type": "null"}]}),
]
TenThousandYuan = Annotated[
    Decimal | None,
    PlainValidator(lambda v: None if v is None else _money(v, places=None, unit="万元")),
    WithJsonSchema({"anyOf": [_MONEY_SCHEMA, {"type": "null"}]}),
]
Yuan = Annotated[
    Decimal | None,
    PlainValidator(lambda v: None if v is None else _money(v, places=2, unit="元")),
    WithJsonSchema({"anyOf": [_MONEY_SCHEMA, {"type": "null"}]}),
]
FactValue = Annotated[
    int | Decimal,
    PlainValidator(_fact_value),
    WithJsonSchema({"anyOf": [_COUNT_SCHEMA, _MONEY_SCHEMA]}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False, frozen=False)


class _TotalledRow(_Model):
    """A row of cells with a 总计 that is derived when left out and checked when given."""

    PARTS: ClassVar[tuple[str, ...]] = ()  # the cells that add up to `total`
    if TYPE_CHECKING:  # declared by each subclass after its cells, so 总计 stays last
        total: int | None

    @property
    def total_given(self) -> bool:
        return "total" in self.model_fields_set

    def value(self, column: str) -> int | None:
        """The cell's value. The 总计 column is derived when it was not given, and unknown
        (None) when it was not given and a cell of the row is blank."""
        if column == TOTAL:
            return self.total if self.total_given else self.parts_sum()
        return getattr(self, column)

    def parts_sum(self) -> int | None:
        """The sum of the cells other than 总计; None when one of them is blank."""
        parts = [getattr(self, c) for c in self.PARTS]
        return None if None in parts else sum(parts)


class ApplicantRow(_TotalledRow):
    """表三的一行：每类申请人一格，另有总计（One row of table 三）."""

    PARTS: ClassVar[tuple[str, ...]] = APPLICANT_COLUMNS
    natural_person: Cell = Field(0, description="自然人")
    commercial: Cell = Field(0, description="法人或其他组织 · 商业企业")
    research: Cell = Field(0, description="法人或其他组织 · 科研机构")
    social_welfare: Cell = Field(0, description="法人或其他组织 · 社会公益组织")
    legal_service: Cell = Field(0, description="法人或其他组织 · 法律服务机构")
    other: Cell = Field(0, description="法人或其他组织 · 其他")
    total: Cell = Field(None, description="总计（省略时自动计算，填写时核对）")


def _row() -> ApplicantRow:
    return ApplicantRow()


class Withheld(_Model):
    """（三）不予公开"""

    state_secret: ApplicantRow = Field(default_factory=_row, description="1.属于国家秘密")
    prohibited_by_law: ApplicantRow = Field(
        default_factory=_row, description="2.其他法律行政法规禁止公开"
    )
    security_stability: ApplicantRow = Field(
        default_factory=_row, description="3.危及“三安全一稳定”"
    )
    third_party_rights: ApplicantRow = Field(
        default_factory=_row, description="4.保护第三方合法权益"
    )
    internal_affairs: ApplicantRow = Field(
        default_factory=_row, description="5.属于三类内部事务信息"
    )
    process_information: ApplicantRow = Field(
        default_factory=_row, description="6.属于四类过程性信息"
    )
    enforcement_files: ApplicantRow = Field(default_factory=_row, description="7.属于行政执法案卷")
    query_matters: ApplicantRow = Field(default_factory=_row, description="8.属于行政查询事项")


class Unavailable(_Model):
    """（四）无法提供"""

    not_held: ApplicantRow = Field(default_factory=_row, description="1.本机关不掌握相关政府信息")
    needs_creation: ApplicantRow = Field(
        default_factory=_row, description="2.没有现成信息需要另行制作"
    )
    unclear_after_correction: ApplicantRow = Field(
        default_factory=_row, description="3.补正后申请内容仍不明确"
    )


class NotProcessed(_Model):
    """（五）不予处理"""

    complaints: ApplicantRow = Field(default_factory=_row, description="1.信访举报投诉类申请")
    duplicate: ApplicantRow = Field(default_factory=_row, description="2.重复申请")
    publications: ApplicantRow = Field(default_factory=_row, description="3.要求提供公开出版物")
    excessive: ApplicantRow = Field(default_factory=_row, description="4.无正当理由大量反复申请")
    confirm_or_reissue: ApplicantRow = Field(
        default_factory=_row, description="5.要求行政机关确认或重新出具已获取信息"
    )


class OtherHandling(_Model):
    """（六）其他处理"""

    no_correction: ApplicantRow = Field(
        default_factory=_row,
        description="1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    )
    fee_unpaid: ApplicantRow = Field(
        default_factory=_row,
        description="2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    )
    other: ApplicantRow = Field(default_factory=_row, description="3.其他")


class Results(_Model):
    """三、本年度办理结果"""

    disclosed: ApplicantRow = Field(default_factory=_row, description="（一）予以公开")
    partially_disclosed: ApplicantRow = Field(
        default_factory=_row, description="（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    )
    withheld: Withheld = Field(default_factory=Withheld, description="（三）不予公开")
    unavailable: Unavailable = Field(default_factory=Unavailable, description="（四）无法提供")
    not_processed: NotProcessed = Field(default_factory=NotProcessed, description="（五）不予处理")
    other: OtherHandling = Field(default_factory=OtherHandling, description="（六）其他处理")
    total: ApplicantRow | None = Field(None, description="（七）总计（省略时自动计算，填写时核对）")


class Applications(_Model):
    """三、收到和处理政府信息公开申请情况"""

    new_received: ApplicantRow = Field(
        default_factory=_row, description="一、本年新收政府信息公开申请数量"
    )
    carried_over: ApplicantRow = Field(
        default_factory=_row, description="二、上年结转政府信息公开申请数量"
    )
    results: Results = Field(default_factory=Results, description="三、本年度办理结果")
    carried_forward: ApplicantRow = Field(
        default_factory=_row, description="四、结转下年度继续办理"
    )


class DocumentCounts(_Model):
    """表二第二十条第（一）项的一行."""

    issued: Cell = Field(0, description="本年制发件数")
    repealed: Cell = Field(0, description="本年废止件数")
    in_force: Cell = Field(0, description="现行有效件数")


class Proactive(_Model):
    """二、主动公开政府信息情况"""

    rules: DocumentCounts = Field(default_factory=DocumentCounts, description="规章")
    normative_documents: DocumentCounts = Field(
        default_factory=DocumentCounts, description="行政规范性文件"
    )
    licensing: Cell = Field(0, description="第（五）项 行政许可 本年处理决定数量")
    penalty: Cell = Field(0, description="第（六）项 行政处罚 本年处理决定数量")
    enforcement: Cell = Field(0, description="第（六）项 行政强制 本年处理决定数量")
    admin_fees_10k_yuan: TenThousandYuan = Field(
        default_factory=Decimal, description="第（八）项 行政事业性收费 本年收费金额（单位：万元）"
    )


class ReviewBlock(_TotalledRow):
    """表四的一组：行政复议，或行政诉讼的一种（One group of table 四）."""

    PARTS: ClassVar[tuple[str, ...]] = REVIEW_COLUMNS
    upheld: Cell = Field(0, description="结果维持")
    corrected: Cell = Field(0, description="结果纠正")
    other: Cell = Field(0, description="其他结果")
    pending: Cell = Field(0, description="尚未审结")
    total: Cell = Field(None, description="总计（省略时自动计算，填写时核对）")


class ReviewLitigation(_Model):
    """四、政府信息公开行政复议、行政诉讼情况"""

    review: ReviewBlock = Field(default_factory=ReviewBlock, description="行政复议")
    litigation_direct: ReviewBlock = Field(
        default_factory=ReviewBlock, description="行政诉讼 · 未经复议直接起诉"
    )
    litigation_after_review: ReviewBlock = Field(
        default_factory=ReviewBlock, description="行政诉讼 · 复议后起诉"
    )


class ProcessingFees(_Model):
    """信息处理费收取情况"""

    notices: Cell = Field(0, description="通知收取件数")
    notified_yuan: Yuan = Field(default_factory=Decimal, description="通知收取金额（元）")
    collected_yuan: Yuan = Field(default_factory=Decimal, description="实际收取金额（元）")


_FACT_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")


class Fact(_Model):
    """叙述部分可以陈述的一个数（A number the narrative may state）."""

    id: str = Field(description="点分编号，在文件内唯一，如 proactive.items")
    label: str = Field(min_length=1, description="这个数是什么（中文）")
    value: FactValue = Field(description="数值：非负整数，金额或百分比可带小数")
    unit: str = Field(
        min_length=1, description="量词或单位：条、件、份、期、次、个、场、人次、万元、元、%"
    )
    section: SectionId = Field(description="所在的叙述部分")
    parts: list[str] = Field(default_factory=list, description="相加应等于本数的事实编号")
    approx: Literal["多", "余", "近", "约", "超过", "以上", "逾"] | None = Field(
        None, description="近似说法：800多条 → value: 800, approx: 多"
    )
    cell: str | None = Field(
        None,
        description="本数重述的表格单元格（统计键路径），如 proactive.normative_documents.in_force",
    )

    @field_validator("id")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not _FACT_ID.fullmatch(value):
            raise PydanticCustomError(
                "fact_id",
                "事实编号须为点分的英文名（如 proactive.items）, 得到 {got}",
                {"got": _shown(value)},
            )
        return value


class Profile(_Model):
    """发布机关的性质，用于合理性检查（What kind of body publishes the report）."""

    level: str | None = Field(None, description="机关层级，如 市直部门、县级人民政府、乡镇")
    rulemaking_power: bool | None = Field(
        None, description="是否有规章制定权；省略时按机关名称推断"
    )
    self_name: str | None = Field(
        None,
        description="报告中的自称，如 我区、我委、我中心；省略时按机关名称推断",
        min_length=1,
        max_length=10,
        pattern=r"^\S+$",
    )


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Publication(_Model):
    """报告发布的网站和栏目."""

    site: str | None = Field(None, description="发布网站名称")
    url: str | None = Field(None, description="网址")
    column: str | None = Field(None, description="栏目名称，如 政府信息公开年度报告")


class Contact(_Model):
    """前言中的联系方式."""

    office: str | None = Field(None, description="联系部门")
    address: str | None = Field(None, description="通讯地址")
    postal_code: str | None = Field(None, description="邮政编码")
    phone: str | None = Field(None, description="联系电话")
    fax: str | None = Field(None, description="传真")
    email: str | None = Field(None, description="电子邮箱")

    _as_text = field_validator("postal_code", "phone", "fax", mode="before")(
        lambda cls, v: _text(v)
    )


_NUMERIC_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class CoverLetter(_Model):
    """报送函（the transmittal letter some agencies put in front of the report）."""

    doc_number: str | None = Field(None, description="发文字号，如 泉科函〔2024〕2号")
    recipient: str | None = Field(None, description="主送机关，如 泉州市人民政府办公室")
    contact_person: str | None = Field(None, description="联系人")
    contact_phone: str | None = Field(None, description="联系电话")
    date: str | None = Field(None, description="成文日期，如 2024年1月15日")

    _as_text = field_validator("contact_phone", mode="before")(lambda cls, v: _text(v))

    @field_validator("date")
    @classmethod
    def _official_date(cls, value: str | None) -> str | None:
        """2024-01-15, 2024/1/15, 2024.1.15 → 2024年1月15日: the form GB/T 9704 §7.3.5 asks
        for (Arabic numerals, 年月日, no leading zeros)."""
        if value is None:
            return None
        match = _NUMERIC_DATE.fullmatch(value.strip())
        if match is None:
            raise PydanticCustomError(
                "date",
                "成文日期应写成“2024年1月15日”（也可写 2024-01-15、2024/1/15、2024.1.15）, "
                "得到 {got}",
                {"got": _shown(value)},
            )
        year, month, day = (int(g) for g in match.groups())
        try:
            _dt.date(year, month, day)
        except ValueError:
            raise PydanticCustomError(
                "date", "不是有效的日期, 得到 {got}", {"got": _shown(value)}
            ) from None
        return f"{year}年{month}月{day}日"


def _at_most(value: str, limit: int) -> str:
    if len(value) > limit:
        raise PydanticCustomError(
            "text_length",
            "文字过长（{got} 字，最多 {limit} 字）",
            {"got": len(value), "limit": limit},
        )
    return value


def _note_length(value: str | list[str]) -> str | list[str]:
    size = len(value) if isinstance(value, str) else sum(len(v) for v in value)
    if size > MAX_NOTE_CHARS:
        raise PydanticCustomError(
            "note_length",
            "素材过长（{got} 字，一个部分最多 {limit} 字）",
            {"got": size, "limit": MAX_NOTE_CHARS},
        )
    return value


Note = Annotated[
    str | list[str],
    Field(description="给起草者的素材（不是指令）"),
    AfterValidator(_note_length),
]


class Stats(_Model):
    """一份年度报告的统计数据（One report's statistics, docs/statistics-file.md）."""

    format: str = Field(
        "gov-info-disclosure-2021",
        description="版式编号，对应 structured/ 下的一个版式文件",
        pattern=r"^[a-z0-9][a-z0-9-]*$",
    )
    agency: str = Field(min_length=1, description="发布机关全称")
    year: int = Field(description="统计年度（统计期限为该年1月1日至12月31日）")
    profile: Profile = Field(default_factory=Profile)
    publication: Publication = Field(default_factory=Publication)
    contact: Contact = Field(default_factory=Contact)
    cover_letter: CoverLetter | None = None
    scope_change: str | None = Field(
        None, description="机构改革、职能划转等导致与上年数据口径不同的说明"
    )
    proactive: Proactive = Field(description="二、主动公开政府信息情况")
    applications: Applications = Field(description="三、收到和处理政府信息公开申请情况")
    review_litigation: ReviewLitigation = Field(
        description="四、政府信息公开行政复议、行政诉讼情况"
    )
    processing_fees: ProcessingFees = Field(description="信息处理费收取情况")
    facts: list[Fact] = Field(default_factory=list, description="叙述部分可以陈述的数")
    notes: dict[SectionId, Note] = Field(default_factory=dict, description="各叙述部分的素材")

    # Where the statistics came from, for locating findings: file name and key path → line
    # (a YAML file) or → cell reference such as 三!D7 (an Excel workbook).
    _source_name: str | None = PrivateAttr(None)
    _source_lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    _source_cells: dict[tuple[str | int, ...], str] = PrivateAttr(default_factory=dict)
    _fact_index: dict[str, Fact] = PrivateAttr(default_factory=dict)
    _fact_index_key: tuple[int, int] | None = PrivateAttr(None)

    def attach_source(
        self,
        name: str,
        lines: dict[tuple[str | int, ...], int],
        cells: dict[tuple[str | int, ...], str] | None = None,
    ) -> None:
        self._source_name = name
        self._source_lines = lines
        self._source_cells = dict(cells or {})

    @property
    def source_name(self) -> str | None:
        return self._source_name

    def line_of(self, path: str) -> int | None:
        """The line of a dotted key path in the source file (or of its nearest written
        ancestor: a row left out of the file is located at its group)."""
        return self.line_at(tuple(path.split(".")))

    def line_at(self, parts: tuple[str | int, ...]) -> int | None:
        if not self._source_lines:
            return None
        for end in range(len(parts), 0, -1):
            line = self._source_lines.get(parts[:end])
            if line is not None:
                return line
        return None

    def cell_of(self, path: str) -> str | None:
        """The workbook cell (三!D7) of a dotted key path, or of its nearest ancestor that
        has one; None for statistics read from YAML."""
        return self.cell_at(tuple(path.split(".")))

    def cell_at(self, parts: tuple[str | int, ...]) -> str | None:
        if not self._source_cells:
            return None
        for end in range(len(parts), 0, -1):
            cell = self._source_cells.get(parts[:end])
            if cell is not None:
                return cell
        return None

    @field_validator("year", mode="plain")
    @classmethod
    def _year(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            raise PydanticCustomError(
                "year", "需要四位数的统计年度（如 2023）, 得到 {got}", {"got": _shown(value)}
            )
        return value

    @field_validator("facts")
    @classmethod
    def _not_too_many_facts(cls, value: list[Fact]) -> list[Fact]:
        if len(value) > MAX_FACTS:
            raise PydanticCustomError(
                "facts_limit",
                "事实过多（{got} 条，最多 {limit} 条）",
                {"got": len(value), "limit": MAX_FACTS},
            )
        return value

    @field_validator("agency")
    @classmethod
    def _short_agency(cls, value: str) -> str:
        return _at_most(value, MAX_LABEL_CHARS)

    @field_validator("scope_change")
    @classmethod
    def _short_scope_change(cls, value: str | None) -> str | None:
        return None if value is None else _at_most(value, MAX_NOTE_CHARS)

    @model_validator(mode="after")
    def _unique_fact_ids(self) -> Stats:
        seen: set[str] = set()
        for fact in self.facts:
            if fact.id in seen:
                raise PydanticCustomError(
                    "fact_duplicate", "事实编号 {id} 重复出现", {"id": fact.id}
                )
            seen.add(fact.id)
        return self

    # ---- access by key path -------------------------------------------------------------

    def fact(self, fact_id: str) -> Fact | None:
        # An index, built on first use and again whenever the list of facts is another one
        # or another length: with thousands of facts a scan per lookup would be quadratic.
        key = (id(self.facts), len(self.facts))
        if self._fact_index_key != key:
            self._fact_index = {f.id: f for f in self.facts}
            self._fact_index_key = key
        return self._fact_index.get(fact_id)

    def note(self, section: str) -> str:
        value = self.notes.get(section)  # type: ignore[call-overload]
        if value is None:
            return ""
        return "\n".join(value) if isinstance(value, list) else value

    def results_total(self) -> ApplicantRow:
        """（七）总计 as given, or derived from the outcome rows."""
        if self.applications.results.total is not None:
            return self.applications.results.total
        derived: dict[str, int | None] = {}
        for c in APPLICANT_COLUMNS:
            values = [row.value(c) for _, row in self.outcome_rows()]
            derived[c] = None if None in values else sum(v for v in values if v is not None)
        return ApplicantRow(**derived)

    def outcome_rows(self) -> Iterator[tuple[str, ApplicantRow]]:
        """The 22 rows of 三、本年度办理结果 before （七）总计, in official order."""
        results = self.applications.results
        prefix = "applications.results"
        for name in ("disclosed", "partially_disclosed"):
            yield f"{prefix}.{name}", getattr(results, name)
        for group in ("withheld", "unavailable", "not_processed", "other"):
            block = getattr(results, group)
            for name in type(block).model_fields:
                yield f"{prefix}.{group}.{name}", getattr(block, name)

    def applicant_rows(self) -> Iterator[tuple[str, ApplicantRow]]:
        """All 25 rows of table 三 in official order (（七）总计 derived if not given)."""
        yield "applications.new_received", self.applications.new_received
        yield "applications.carried_over", self.applications.carried_over
        yield from self.outcome_rows()
        yield "applications.results.total", self.results_total()
        yield "applications.carried_forward", self.applications.carried_forward

    def review_blocks(self) -> Iterator[tuple[str, ReviewBlock]]:
        for name in ReviewLitigation.model_fields:
            yield f"review_litigation.{name}", getattr(self.review_litigation, name)

    def value(self, path: str) -> int | Decimal | None:
        """The value at a key path such as `applications.results.withheld.state_secret.other`;
        derived totals included. Raises KeyError for a path that names no cell."""
        if path == "applications.results.total" or path.startswith("applications.results.total."):
            node: Any = self.results_total()
            rest = path.split(".")[3:]
        else:
            node = self
            rest = path.split(".")
        for i, name in enumerate(rest):
            last = i == len(rest) - 1
            if isinstance(node, _TotalledRow) and last:
                if name != TOTAL and name not in type(node).__pydantic_fields__:
                    raise KeyError(path)
                return node.value(name)
            if not isinstance(node, BaseModel) or name not in type(node).__pydantic_fields__:
                raise KeyError(path)
            node = getattr(node, name)
        if isinstance(node, bool) or not isinstance(node, int | Decimal | None):
            raise KeyError(path)
        return node
