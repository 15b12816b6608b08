"""A `Report` as a self-contained HTML page for the agency's website.

Web pages do not follow GB/T 9704, but they carry the same content, and the official tables
keep their merged cells as `rowspan`/`colspan`. The markup is well-formed (it parses as XML),
declares `lang="zh-CN"` and needs no external file. The gaps left for the clerk
(drafter.render.GAP) are marked `<mark class="gap">`, which reads back as its text.
"""

from __future__ import annotations

from html import escape

from drafter.render import GAP
from drafter.report import Paragraph, Report, Section, Table

STYLE = """
body { font-family: "FangSong", "仿宋_GB2312", "仿宋", "Noto Serif CJK SC", serif;
       font-size: 16px; line-height: 1.9; color: #000; margin: 0 auto; max-width: 52em;
       padding: 2em 1.5em; }
h1 { font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "Noto Serif CJK SC", serif;
     font-size: 1.6em; font-weight: normal; text-align: center; margin: 1em 0; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 1.1em;
     font-weight: normal; margin: 1em 0 0.5em; }
h3 { font-family: "KaiTi", "楷体_GB2312", "楷体", "Noto Serif CJK SC", serif; font-size: 1.05em;
     font-weight: normal; margin: 0.8em 0 0.4em; text-indent: 2em; }
p { text-indent: 2em; margin: 0.4em 0; text-align: justify; }
table { border-collapse: collapse; margin: 0.8em auto; font-size: 0.85em; line-height: 1.4; }
th, td { border: 1px solid #000; padding: 0.3em 0.4em; text-align: center; }
td.label { text-align: left; }
caption { caption-side: top; text-align: left; }
mark.gap { background: #ffeb3b; color: inherit; }
""".strip()


def inline_html(text: str) -> str:
    """`text` escaped for HTML, each gap left for the clerk in <mark class="gap">."""
    out, at = [], 0
    for match in GAP.finditer(text):
        out.append(escape(text[at : match.start()]))
        out.append(f'<mark class="gap">{escape(match.group())}</mark>')
        at = match.end()
    out.append(escape(text[at:]))
    return "".join(out)


def table_html(table: Table) -> str:
    """One official table with its merges; header cells as <th>."""
    rows: list[list[str]] = [[] for _ in range(table.rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        tag = "th" if cell.role in ("header", "caption", "corner") else "td"
        attrs = ""
        if cell.rowspan > 1:
            attrs += f' rowspan="{cell.rowspan}"'
        if cell.colspan > 1:
            attrs += f' colspan="{cell.colspan}"'
        if cell.role == "label":
            attrs += ' class="label"'
        if cell.key:
            attrs += f' data-key="{escape(cell.key)}"'
        rows[cell.row].append(f"<{tag}{attrs}>{inline_html(cell.text)}</{tag}>")
    body = "\n".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f'<table data-table="{escape(table.id)}">\n{body}\n</table>'


def _blocks(section: Section) -> list[str]:
    out = []
    tag = "h2" if section.level == 1 else "h3"
    out.append(f"<{tag}>{inline_html(section.heading)}</{tag}>")
    for block in section.blocks:
        if isinstance(block, Paragraph):
            out.append(f"<p>{inline_html(block.text)}</p>")
        else:
            out.append(table_html(block))
    for sub in section.subsections:
        out.extend(_blocks(sub))
    return out


def render_html(report: Report) -> bytes:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        '<meta name="generator" content="drafter" />',
        f"<title>{escape(report.title)}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        "<article>",
        f"<h1>{inline_html(report.title)}</h1>",
    ]
    parts += [f"<p>{inline_html(p.text)}</p>" for p in report.preamble]
    for section in report.sections:
        parts.extend(_blocks(section))
    parts += ["</article>", "</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")
