"""structured/stats.schema.json is generated from the models and must not go stale."""

from __future__ import annotations

import json

from conftest import ROOT, SAMPLE

from drafter.statistics.schema import stats_json_schema, stats_json_schema_text

SCHEMA_FILE = ROOT / "structured" / "stats.schema.json"


def test_schema_file_is_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == stats_json_schema_text(), (
        "structured/stats.schema.json is stale: run "
        "`drafter schema -o structured/stats.schema.json --force`"
    )


def test_schema_names_the_contract_keys():
    schema = stats_json_schema()
    assert set(schema["required"]) == {
        "agency",
        "year",
        "proactive",
        "applications",
        "review_litigation",
        "processing_fees",
    }
    assert schema["additionalProperties"] is False
    assert "third_party_rights" in schema["$defs"]["Withheld"]["properties"]


def test_sample_validates_against_the_schema_shape():
    # A light structural check without a JSON Schema validator: every top-level key of the
    # sample is a property of the schema.
    import yaml

    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    assert set(sample) <= set(stats_json_schema()["properties"])
    json.dumps(stats_json_schema())  # serialisable
