"""The JSON Schema of the statistics file, generated from the pydantic models.

Published as `structured/stats.schema.json` so that editors (VS Code's YAML extension, for
one) can autocomplete and validate statistics files; a test fails when the file is stale.
Regenerate it with `drafter schema -o structured/stats.schema.json --force`.
"""

from __future__ import annotations

import json
from typing import Any

from drafter.statistics.stats import Stats


def stats_json_schema() -> dict[str, Any]:
    schema = Stats.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "政府信息公开工作年度报告 统计文件",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def stats_json_schema_text() -> str:
    return json.dumps(stats_json_schema(), ensure_ascii=False, indent=2) + "\n"
