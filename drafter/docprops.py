"""What drafter records in a .docx it writes, as custom document properties.

- `drafter-ai-paragraphs`: the fingerprints of the paragraphs each model drafted, so that
  `verify` reports them until an editor has changed them (A-AI-UNEDITED);
- `drafter-provenance`: the numbers filled in from placeholders (so `verify` checks each
  against its source instead of judging it by its context, even after the paragraph around
  it was edited) and who wrote each sentence (a model, or the offline drafter): sentences
  without a record are the editor's.

Word and WPS keep custom properties through editing and show them under File → Properties.
The values are JSON in a `vt:lpwstr`; what cannot be read is treated as absent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from drafter.report import Provenance

AI_PROPERTY = "drafter-ai-paragraphs"
PROVENANCE_PROPERTY = "drafter-provenance"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def properties_xml(values: dict[str, str]) -> bytes:
    """docProps/custom.xml holding `values` (name → text)."""
    body = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{_escape(name)}">'
        f"<vt:lpwstr>{_escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(values.items(), 2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<Properties "
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{body}</Properties>"
    ).encode()


def read_properties(xml: str) -> dict[str, str]:
    """name → text of the string properties in docProps/custom.xml."""
    out = {}
    for match in re.finditer(
        r'<property\b[^>]{0,1000}\bname="([^"]*)"[^>]{0,1000}>\s*+<vt:lpwstr>([^<]*)</vt:lpwstr>',
        xml,
    ):
        out[_unescape(match.group(1))] = _unescape(match.group(2))
    return out


def model_paragraphs(values: dict[str, str]) -> dict[str, str]:
    """Paragraph fingerprint → model id."""
    data = _json(values.get(AI_PROPERTY))
    if not isinstance(data, dict):
        return {}
    return {
        str(fingerprint): str(model)
        for model, prints in data.items()
        if isinstance(prints, list)
        for fingerprint in prints
    }


def model_paragraphs_json(by_model: dict[str, list[str]]) -> str:
    return json.dumps(by_model, ensure_ascii=False, separators=(",", ":"))


def provenance(values: dict[str, str]) -> Provenance | None:
    data = _json(values.get(PROVENANCE_PROPERTY))
    if not isinstance(data, dict):
        return None
    numbers = [
        (str(n[0]), str(n[1]), str(n[2]))
        for n in data.get("numbers") or []
        if isinstance(n, list) and len(n) == 3
    ]
    sentences = data.get("sentences") or {}
    if not isinstance(sentences, dict):
        sentences = {}
    return Provenance(numbers, {str(k): str(v) for k, v in sentences.items()})


def provenance_json(record: Provenance) -> str:
    return json.dumps(
        {"numbers": [list(n) for n in record.numbers], "sentences": record.sentences},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # a hostile property ("[[[[…") is no record
        return None


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _unescape(text: str) -> str:
    return (
        text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
