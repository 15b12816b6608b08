"""A `Report` as Markdown for websites and review tools.

Markdown tables cannot merge cells, so the official tables are embedded as HTML tables
(which CommonMark and GitHub-flavoured Markdown pass through), keeping rowspan/colspan.

The gaps left for the clerk (drafter.render.GAP) are marked as in the web page, inline HTML
`<mark class="gap">【待补充：…】</mark>`: highlighted where the Markdown is shown, plain to
read in the file. Not `**…**`: CommonMark does not take `**` for emphasis between a Chinese
character and a bracket such as 【, so "写**【待补充】**" would show its asterisks.
drafter.read.markdown drops the two tags.
"""

from __future__ import annotations

from drafter.render import GAP
from drafter.render.html import table_html
from drafter.report import Paragraph, Report, Section


def _escape_plain(text: str) -> str:
    """Keep prose from being read as Markdown syntax (a leading "1." or "#", stray "*")."""
    for char in ("\\", "*", "_", "`", "#", "<", ">", "[", "]"):
        text = text.replace(char, "\\" + char)
    return text


def _escape(text: str) -> str:
    """Prose as Markdown: escaped, each gap left for the clerk in <mark class="gap">."""
    out, at = [], 0
    for match in GAP.finditer(text):
        out.append(_escape_plain(text[at : match.start()]))
        out.append(f'<mark class="gap">{_escape_plain(match.group())}</mark>')
        at = match.end()
    out.append(_escape_plain(text[at:]))
    return "".join(out)


def _section(section: Section) -> list[str]:
    out = [("## " if section.level == 1 else "### ") + _escape(section.heading), ""]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            out += [_escape(block.text), ""]
        else:
            out += [table_html(block), ""]
    for sub in section.subsections:
        out += _section(sub)
    return out


def render_markdown(report: Report) -> bytes:
    lines = [f"# {_escape(report.title)}", ""]
    for paragraph in report.preamble:
        lines += [_escape(paragraph.text), ""]
    for section in report.sections:
        lines += _section(section)
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")
