"""The audit log of every model call, which is also the response cache.

Every call (time, endpoint, model, the full messages, the response, token counts, duration,
section and attempt) goes into a SQLite file in the user's data directory (`DRAFTER_HOME`
overrides it; never the working directory), so that a government user can show exactly what
the AI wrote. An identical request (endpoint, model, messages, parameters, prompt version)
is answered from the same store: re-running a draft costs nothing. No API key is ever stored:
requests are recorded without headers.

Each stored text (every message of the request, the response) is capped at `TEXT_LIMIT`
characters, the rest replaced by a note saying how much was cut: an endpoint that answers
with megabytes once grew the log by hundreds of megabytes in one run. A response stored cut
is never answered from the cache (`truncated`).

A call made while drafting a report is recorded with the report it was for (`report`, the
agency and year: `report_key`), so that `drafter serve` can show a report's calls.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOME_ENV = "DRAFTER_HOME"
# Characters kept of each stored text (about 64 KB of Chinese in UTF-8 at most 96 KB): a prompt
# with its notes and last year's text, or a part's answer (drafter.drafting.llm refuses answers over
# 12,000 characters), fits whole; only what no drafting call should carry is cut.
TEXT_LIMIT = 32_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    section TEXT,
    attempt INTEGER,
    prompt_version TEXT,
    request_hash TEXT NOT NULL,
    messages TEXT NOT NULL,
    parameters TEXT NOT NULL,
    response TEXT,
    error TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    duration_ms INTEGER,
    cached INTEGER NOT NULL DEFAULT 0,
    truncated INTEGER NOT NULL DEFAULT 0,
    report TEXT
);
CREATE INDEX IF NOT EXISTS calls_request ON calls (request_hash);
"""


def capped(text: str, limit: int = TEXT_LIMIT) -> tuple[str, bool]:
    """The text as stored, and whether it was cut: at most `limit` characters, then a note
    saying how many were left out."""
    if len(text) <= limit:
        return text, False
    return f"{text[:limit]}\n…【审计日志只保存前 {limit} 字，截去 {len(text) - limit} 字】", True


def report_key(agency: str, year: int) -> str:
    """The report a call drafts for, as the log records it: its agency and year, the pair
    that names a report (in the workspace of `drafter serve` too)."""
    return f"{agency} {year}"


def home() -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("drafter"))


def request_hash(
    endpoint: str,
    model: str,
    messages: list[dict[str, str]],
    parameters: dict[str, Any],
    prompt_version: str,
) -> str:
    payload = json.dumps(
        {
            "endpoint": endpoint,
            "model": model,
            "messages": messages,
            "parameters": parameters,
            "prompt_version": prompt_version,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Call:
    id: int
    time: str
    endpoint: str
    model: str
    section: str | None
    attempt: int | None
    messages: list[dict[str, str]]
    response: str | None
    error: str | None
    input_tokens: int | None
    output_tokens: int | None
    duration_ms: int | None
    cached: bool
    report: str | None = None  # report_key of the report drafted, when the drafter knew it


class AuditLog:
    """One SQLite file; safe to use from the drafting threads. Calls are recorded as made for
    `report` (a `report_key`) when it is given."""

    def __init__(self, path: Path | None = None, *, report: str | None = None) -> None:
        self.path = path or home() / "drafter.db"
        self.report = report
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.executescript(_SCHEMA)
        self._add_columns()
        self._db.execute("CREATE INDEX IF NOT EXISTS calls_report ON calls (report)")
        self._db.commit()

    def _add_columns(self) -> None:
        """A log written before responses were capped, or before calls named their report,
        lacks the column: add it."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(calls)")}
        for name, declaration in (
            ("truncated", "truncated INTEGER NOT NULL DEFAULT 0"),
            ("report", "report TEXT"),
        ):
            if name not in columns:
                # another drafter may have added it since the look just now
                with contextlib.suppress(sqlite3.OperationalError):
                    self._db.execute(f"ALTER TABLE calls ADD COLUMN {declaration}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def cached(self, request: str) -> tuple[str, int | None, int | None] | None:
        """The response of an earlier successful identical request (stored whole)."""
        with self._lock:
            row = self._db.execute(
                "SELECT response, input_tokens, output_tokens FROM calls WHERE request_hash = ? "
                "AND error IS NULL AND response IS NOT NULL AND cached = 0 AND truncated = 0 "
                "ORDER BY id DESC LIMIT 1",
                (request,),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def record(
        self,
        *,
        endpoint: str,
        model: str,
        section: str | None,
        attempt: int | None,
        prompt_version: str,
        request: str,
        messages: list[dict[str, str]],
        parameters: dict[str, Any],
        response: str | None,
        error: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        duration: float,
        cached: bool,
    ) -> int:
        """One call, each text capped (`capped`); the request hash is of the whole request,
        so the cache still finds it. The call's id (what `drafter log` numbers it)."""
        stored = [{**m, "content": capped(m.get("content", ""))[0]} for m in messages]
        answer, cut = capped(response) if response is not None else (None, False)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO calls (time, endpoint, model, section, attempt, prompt_version, "
                "request_hash, messages, parameters, response, error, input_tokens, "
                "output_tokens, duration_ms, cached, truncated, report) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    time.strftime("%Y-%m-%d %H:%M:%S"),
                    endpoint,
                    model,
                    section,
                    attempt,
                    prompt_version,
                    request,
                    json.dumps(stored, ensure_ascii=False),
                    json.dumps(parameters, ensure_ascii=False, sort_keys=True),
                    answer,
                    capped(error)[0] if error is not None else None,
                    input_tokens,
                    output_tokens,
                    int(duration * 1000),
                    int(cached),
                    int(cut),
                    self.report,
                ),
            )
            self._db.commit()
        return int(cursor.lastrowid or 0)

    def recent(self, limit: int = 20) -> list[Call]:
        return self._calls("", (), limit)

    def for_report(self, report: str, limit: int = 200) -> list[Call]:
        """The latest calls recorded as made for `report` (a `report_key`), newest first."""
        return self._calls("WHERE report = ? ", (report,), limit)

    def _calls(self, where: str, parameters: tuple[Any, ...], limit: int) -> list[Call]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, time, endpoint, model, section, attempt, messages, response, error, "
                f"input_tokens, output_tokens, duration_ms, cached, report FROM calls {where}"
                "ORDER BY id DESC LIMIT ?",
                (*parameters, limit),
            ).fetchall()
        return [
            Call(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                json.loads(r[6]),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                bool(r[12]),
                r[13],
            )
            for r in rows
        ]
