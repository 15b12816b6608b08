"""Findings: what a check says about the statistics or a document.

A finding is a value (code, severity, location, message). The terminal table, the JSON output
and (later) the Word comments are three views of the same list. Every code is registered in
`CODES` with the docs/format.md rule it implements and its severity, so codes stay stable and can be
documented and grepped; a code's severity never depends on context (where a rule has a milder
form, that form has a code of its own).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    ADVICE = "advice"

    @property
    def zh(self) -> str:
        return {"error": "错误", "warning": "警告", "advice": "提示"}[self.value]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    rules: tuple[str, ...]  # docs/format.md rule ids
    title: str  # short Chinese description, used in documentation


def _code(code: str, rules: str, title: str) -> Code:
    severity = {"E": Severity.ERROR, "W": Severity.WARNING, "A": Severity.ADVICE}[code[0]]
    return Code(code, severity, tuple(r.strip() for r in rules.split(",") if r.strip()), title)


CODES: dict[str, Code] = {
    c.code: c
    for c in [
        # Table 三
        _code(
            "E-SUM-BALANCE",
            "T3-1",
            "表三勾稽关系不成立：第一项加第二项之和不等于第三项加第四项之和",
        ),
        _code("E-SUM-OUTCOME", "T3-2", "表三（七）总计不等于各项办理结果之和"),
        _code("E-SUM-ROW", "T3-3", "表三某行的总计不等于各类申请人之和"),
        _code("E-SUM-TOTAL-COLUMN", "T3-5", "表三总计列自身的勾稽关系或办理结果合计不成立"),
        _code("E-CELL-BLANK", "T2-1, T3-4, T4-2, FEE-1", "表格单元格空白（应填0而不是留空）"),
        _code("E-CELL-VALUE", "T2-1, T3-4, T4-2, FEE-1", "表格单元格不是非负整数（或非负金额）"),
        # Table 四
        _code("E-SUM-REVIEW", "T4-1", "表四总计不等于结果维持、结果纠正、其他结果、尚未审结之和"),
        # Table 二
        _code("W-RULES-NO-POWER", "T2-2", "无规章制定权的机关填报了规章"),
        _code("W-STOCK-BELOW-ISSUED", "T2-3", "现行有效件数小于本年制发件数"),
        _code("W-FORMAT-YEAR", "§1.2", "统计年度早于2021年新版格式的适用年度"),
        # 信息处理费
        _code("E-FEE-WITHOUT-NOTICE", "FEE-1", "通知收取件数为0，通知收取金额却不为0"),
        _code("W-FEE-COLLECTED-OVER", "FEE-2", "实际收取金额大于通知收取金额"),
        _code("W-FEE-NOT-TENS", "FEE-3", "信息处理费金额不是10元的整数倍"),
        _code("W-FEE-UNPAID-OVER", "FEE-4", "逾期未缴费不再处理的申请数多于通知收取件数"),
        _code(
            "A-FEE-UNITS",
            "FEE-5",
            "行政事业性收费（万元）与信息处理费（元）数值相同，可能混淆了单位",
        ),
        # Cross-year
        _code("E-CARRY-OVER", "X-1", "上年结转申请数与上年报告的结转下年度继续办理数不一致"),
        _code("W-CARRY-OVER-SCOPE", "X-1", "结转数与上年不一致，已说明机构或职能调整"),
        _code("W-STOCK-DRIFT", "X-2", "现行有效件数与“上年现行有效＋本年制发－本年废止”相差较大"),
        _code("A-STOCK-DRIFT", "X-2", "现行有效件数与“上年现行有效＋本年制发－本年废止”略有出入"),
        _code("W-RULES-NO-POWER-PREV", "X-3", "上年规章为0，今年出现规章数据"),
        _code("W-PREV-YEAR", "X-1", "上年统计数据的年度不是本年度的前一年"),
        # Facts
        _code("E-FACT-PARTS", "N-10", "事实数值不等于其组成部分之和"),
        _code("E-FACT-CELL", "N-1", "事实数值与其对应的表格单元格不一致"),
        _code("E-FACT-REF", "N-10", "事实引用了不存在的事实编号或表格单元格"),
        _code("E-FACT-CYCLE", "N-10", "事实的组成部分循环引用"),
        _code("W-FACT-PART-UNIT", "N-10", "事实与其组成部分的计量单位不同"),
        _code("E-NOTE-REF", "N-1", "素材中的占位符引用了不存在的事实或表格单元格"),
        # Numbers in the prose (drafter verify)
        _code("E-NUM-UNKNOWN", "N-1", "正文中的数在统计数据中找不到来源"),
        _code("E-NUM-MISMATCH", "N-1", "正文中的数与上下文所指的统计数据不符"),
        _code("E-NUM-APPROX", "N-1", "正文中的约数（800多条、近百件）不包含统计数据的值"),
        _code("E-NUM-UNIT", "N-1", "正文中的数与统计数据数值相同而单位不同"),
        _code("W-NUM-UNSURE", "N-11", "正文中的数与统计数据数值相同，但上下文看不出是同一个数"),
        _code(
            "E-NUM-PERCENT",
            "N-2",
            "百分比与所述的分项和总数算不上，或与表三算出的公开率、办结率、占比不符",
        ),
        _code("A-NUM-YOY", "X-5", "与上年相比的变化（或文中上年的数）无法核对，或与上年数据不符"),
        _code("E-CLAIM-UPHELD", "N-3", "“均获维持”等说法与表四的纠正、未审结案件不符"),
        _code("E-CLAIM-NONE", "N-1", "“未收到申请”“未发生复议诉讼”等说法与统计数据不符"),
        _code("A-AI-UNEDITED", "DESIGN", "本段由模型起草，尚未经编辑修改（文档属性中有记录）"),
        _code(
            "E-TEXT-DEBRIS",
            "DESIGN",
            "模型起草的正文中留有非正文内容（Markdown 表格、花括号、提示词里的说法、重复的单位）",
        ),
        _code(
            "W-CLAIM-UNSOURCED",
            "DESIGN",
            "模型起草的句子有素材和统计数据都没有的具体说法（奖项、排名、活动、新平台、同比、整改、问题等）",
        ),
        # The document as a whole (drafter verify)
        _code("E-DOC-PARTS", "N-4", "前言所说的部分数或部分名称与正文标题不符"),
        _code("E-DOC-PERIOD", "N-5", "统计期限或报告年度与统计年度不符"),
        _code(
            "E-DOC-AGENCY",
            "DESIGN",
            "文档标题中的发布机关与统计文件的不是同一个机关（用错了统计文件）",
        ),
        _code("W-DOC-PERIOD-MISSING", "N-5", "没有写明统计期限"),
        _code("E-DOC-BASIS", "N-6", "引用了已被替代的格式依据〔2019〕60号"),
        _code("W-DOC-BASIS-MISSING", "N-6", "未引用格式依据国办公开办函〔2021〕30号"),
        _code("E-DOC-FEE", "N-7", "没有说明信息处理费收取情况（即使为零也应说明）"),
        _code(
            "W-DOC-TOPICS",
            "N-8",
            "总体情况缺少规定的方面（主动公开、依申请公开、政府信息管理、平台建设、监督保障）",
        ),
        _code("E-DOC-TEMPLATE", "N-9", "留有模板、说明或待补充的文字"),
        _code("E-DOC-SECTION", "§2.1", "缺少版式规定的部分"),
        _code(
            "A-DOC-FRONT-SKIPPED",
            "DESIGN",
            "“附件”一行之前的报送函或转发通知不属于报告，其中的数没有核对",
        ),
        # Tables read back from a document (drafter verify)
        _code("E-TABLE-LABEL", "F-1", "表格的行名或列名与官方格式不一致"),
        _code("E-TABLE-2019", "F-2", "表格使用了2019年试行格式的行列"),
        _code("E-TABLE-MISSING", "F-3", "表格缺少官方格式的行、列或单元格"),
        _code("E-TABLE-VALUE", "N-1", "文档表格中的数与统计数据不符"),
        _code("W-TABLE-TEXT", "F-5", "数字单元格中有文字（如“/”“--”“减4”）"),
        # Left from a template (drafter check)
        _code(
            "E-STATS-TEMPLATE",
            "N-9",
            "统计文件中留有模板文字（如“请填写发布机关全称”），会原样写进报告",
        ),
        _code("W-STATS-EMPTY", "DESIGN", "各表的数全部为 0，像是尚未填写的模板"),
        # Contact block
        _code("W-CONTACT-POSTCODE", "§2.2", "前言联系方式中的邮政编码与发布机关所在的市、省不符"),
    ]
}


@dataclass(frozen=True)
class Location:
    """Where a finding points. In statistics: the key path and, for table cells, the official
    table, row label and column header, with the file and line. In a document's prose: the
    section heading, the paragraph's number within it, the sentence and the number's text
    (its character span within the paragraph)."""

    path: str | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None
    file: str | None = None
    line: int | None = None
    section: str | None = None
    paragraph: int | None = None  # 1-based, within the section
    sentence: str | None = None
    text: str | None = None  # the offending text itself, e.g. 15件
    span: tuple[int, int] | None = None  # of `text` within the paragraph
    cell: str | None = None  # the workbook cell, e.g. 三!D7, when the statistics are a .xlsx
    # the quantity a number was compared with (drafter.statistics.quantities)
    quantity: str | None = None

    def label(self) -> str:
        """The official labels, as a reader of the printed document would name the place."""
        if self.section is not None or self.paragraph is not None:
            parts = [self.section or "前言"]
            if self.paragraph is not None:
                parts.append(f"第{self.paragraph}段")
            if self.text:
                parts.append(f"“{self.text}”")
            return " · ".join(parts)
        parts = [p for p in (self.table, self.row, self.column) if p]
        return " · ".join(parts) if parts else (self.path or "")

    def source(self) -> str:
        if self.cell:
            return f"{self.file} {self.cell}" if self.file else self.cell
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}"
        return self.file or ""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    location: Location = field(default_factory=Location)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered finding code {self.code!r}")

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def rules(self) -> tuple[str, ...]:
        return CODES[self.code].rules

    def to_dict(self) -> dict[str, object]:
        location = {k: v for k, v in asdict(self.location).items() if v is not None}
        if "span" in location:
            location["span"] = list(location["span"])
        return {
            "code": self.code,
            "severity": self.severity.value,
            "rule": ", ".join(self.rules),
            "location": location,
            "message": self.message,
        }


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.ADVICE: 2}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then advice; stable within a severity."""
    return sorted(findings, key=lambda f: _ORDER[f.severity])


def count(findings: list[Finding], severity: Severity) -> int:
    return sum(1 for f in findings if f.severity is severity)
