"""The one exception type for input drafter cannot use (exit status 2 on the command line).

Each problem names the file, the line when known and the key path, so that the message is a
single line a clerk can act on, e.g.
`stats.yaml:42 applications.results.withheld.third_party_rights.natural_person:
需要非负整数, 得到 "三"` (on one line), and carries a stable English code (`E-STATS-VALUE`)
that scripts and the documentation can grep for. `INPUT_CODES` lists every such code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every code an exit-2 message can carry, with what it means. `drafter codes` lists them.
INPUT_CODES: dict[str, str] = {
    "E-USAGE": "命令用法有误（参数或选项不对）",
    "E-INPUT": "输入无法使用（其他原因）",
    "E-FILE-MISSING": "文件或目录不存在",
    "E-FILE-TYPE": "不支持的文件类型，或不是普通文件（目录、设备、管道）",
    "E-FILE-READ": "文件无法读取（没有权限、符号链接循环等）",
    "E-FILE-CORRUPT": "文件已损坏（zip 校验错误、不支持的压缩方式、加密、XML 无法解析）",
    "E-FILE-ENCODING": "无法识别的文字编码",
    "E-FILE-EXISTS": "输出文件已存在（加 --force 才覆盖）",
    "E-FILE-WRITE": "输出文件无法写出（目录不存在、是目录、没有权限）",
    "E-LIMIT-SIZE": "文件超过大小上限",
    "E-LIMIT-UNPACKED": "压缩文件解压后超过上限（疑似压缩炸弹）",
    "E-LIMIT-TABLE": "表格超过单元格或合并范围上限",
    "E-LIMIT-TEXT": "文档的段落数或字数超过上限",
    "E-LIMIT-FORMULA": "工作簿公式超过嵌套深度、长度或数值范围上限",
    "E-YAML-SYNTAX": "YAML 语法错误",
    "E-STATS-VALUE": "统计文件的内容不符合约定（缺项、类型、取值）",
    "E-LAYOUT": "版式文件或版式编号有误",
    "E-MODEL-CONFIG": "模型配置有误（模型编号、接口地址、API key 环境变量）",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Text fit for one line of a message or of a comment in a file: line breaks (YAML's
    too: U+0085, U+2028, U+2029) become ⏎, other control characters (terminal escape
    sequences included) become visible escapes such as \\x1b."""
    for line_break in ("\r\n", "\n", "\r", "\u2028", "\u2029", "\x85"):
        text = text.replace(line_break, "⏎")
    text = text.replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Problem:
    """One located reason why an input file cannot be used."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    code: str = "E-INPUT"

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"第{self.line}行"
        if self.path:
            where = f"{where} {self.path}" if where else self.path
        return one_line(f"{where}: {self.message}" if where else self.message)


class InputError(Exception):
    """Input that cannot be read or does not fit the statistics contract."""

    def __init__(
        self,
        problems: list[Problem] | Problem | str,
        file: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, file=file, code=code or "E-INPUT")]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        for problem in self.problems:
            assert problem.code in INPUT_CODES, problem.code
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else "E-INPUT"

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
