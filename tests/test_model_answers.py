"""Every labelled model answer (tests/fixtures/model-answers/) through the stub OpenAI server
and the real ChatOpenAI client, asserted on the final .docx.

For each case: no debris left unmarked (chat talk, notes, Markdown, braces, tags, doubled
units), every invented claim and every wrong number gone or marked, no mark on correct text,
and `drafter verify` on the .docx reports exactly what the drafter marked.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from model_answers import CORPUS, Case, Script, cases, run_case
from stub_openai import StubServer

CASES = [*cases(), *cases(CORPUS / "heldout")]


@pytest.fixture(scope="module")
def server():
    script = Script()
    stub = StubServer(answer=script).start()
    yield stub, script
    stub.stop()


def test_the_corpus_is_big_and_covers_every_style():
    styles = Counter(Case.load(p).style for p in CASES)
    assert len(CASES) >= 40
    assert set(styles) == {"compliant", "sloppy", "markdown", "inventing", "placeholder", "repair"}
    parts = {Case.load(p).part for p in CASES}
    assert len(parts) == 8  # every narrative part


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_the_document_has_no_debris_and_marks_exactly_what_is_wrong(
    path: Path, server, tmp_path: Path
):
    stub, script = server
    case = Case.load(path)
    result = run_case(case, stub, script, tmp_path)
    assert not result.debris_left, result.part_text
    assert not result.invented_left, result.part_text
    assert not result.wrong_left, result.part_text
    assert not result.false_marks, result.part_text
    # drafter verify, reading the .docx back, finds what the drafter marked, and no more
    assert sorted(result.marks) == sorted(result.verified)
    if case.style == "compliant":
        assert result.calls <= 2  # at most one repair round
