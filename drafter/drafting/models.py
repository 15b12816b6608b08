"""Model endpoints as data: which OpenAI-compatible endpoint drafts the narrative.

A models file (`drafter-models.yaml` in the user's configuration directory, or the file named
by `DRAFTER_MODELS`) lists endpoints: an id, the base URL, the model name to send, the
environment variable holding the key, and what the endpoint supports. The quickest path needs
no file: `DRAFTER_BASE_URL`, `DRAFTER_MODEL` and `DRAFTER_API_KEY` (else `OPENAI_API_KEY`).
With nothing configured, drafting is offline. A key is read from the environment when a
request is made and is never stored, printed or logged.

Two time limits bound what a misbehaving endpoint can cost: `deadline`, the whole of one call
(its retries included: httpx's `timeout` applies to each read, so a server sending a byte now
and then never trips it), and `draft_deadline`, all the calls of one draft. A models-file entry
may set both; `DRAFTER_DEADLINE` and `DRAFTER_DRAFT_DEADLINE` win over the file, so that one
run can lift a limit without editing it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from drafter.errors import InputError, Problem
from drafter.yamlsource import read_yaml

MODELS_ENV = "DRAFTER_MODELS"
ENV_ID = "env"  # the endpoint given by DRAFTER_BASE_URL / DRAFTER_MODEL
CONFIG = "E-MODEL-CONFIG"  # the code of every error in the models configuration
DEADLINE_ENV = "DRAFTER_DEADLINE"
DRAFT_DEADLINE_ENV = "DRAFTER_DRAFT_DEADLINE"

# A healthy endpoint answers one part in well under a minute (a thinking model in two or
# three); 180 s leaves room for that and for the SDK's retries, and stops a hung server long
# before the 368 s that per-read timeouts and retries let it cost.
DEFAULT_DEADLINE = 180.0
# A draft has 6–9 narrative parts, drafted four at a time, each in up to three calls (the
# answer and two repairs). Fifteen minutes is about two minutes a part: a healthy endpoint
# finishes well within it, and parts still waiting when it is over are drafted offline.
DEFAULT_DRAFT_DEADLINE = 900.0


@dataclass(frozen=True)
class ModelSpec:
    id: str
    base_url: str
    model: str
    key_env: str | None = None
    json_mode: bool = False
    thinking: dict[str, Any] = field(default_factory=dict)  # sent as is in the request body
    max_tokens: int = 2048
    # The body field carrying max_tokens: OpenAI-compatible servers document `max_tokens`
    # (some reject the newer `max_completion_tokens` that OpenAI's own reasoning models need).
    max_tokens_field: str = "max_tokens"
    temperature: float = 0.3
    timeout: float = 120.0  # per read (httpx): bounds a silent server, not a slow one
    max_retries: int = 2
    deadline: float = DEFAULT_DEADLINE  # one call, retries included (seconds)
    draft_deadline: float = DEFAULT_DRAFT_DEADLINE  # all the calls of one draft (seconds)

    def api_key(self) -> str | None:
        """The key, read from the environment now (never kept anywhere else)."""
        if self.key_env is None:
            return None
        return os.environ.get(self.key_env) or None

    def parameters(self) -> dict[str, Any]:
        """What the request carries besides the messages (part of the cache key; no key)."""
        return {
            "temperature": self.temperature,
            "extra_body": self.body(),
        }

    def body(self) -> dict[str, Any]:
        """The fields added to the request body as they are: the length limit under the name
        this endpoint expects, and the thinking switch."""
        return {self.max_tokens_field: self.max_tokens, **self.thinking}

    def describe(self) -> str:
        key = (
            "无需 key"
            if self.key_env is None
            else (f"key 取自 {self.key_env}（{'已设置' if self.api_key() else '未设置'}）")
        )
        return f"{self.id}: {self.model} @ {self.base_url}，{key}"


def models_file() -> Path:
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    from platformdirs import user_config_dir

    return Path(user_config_dir("drafter")) / "drafter-models.yaml"


_FIELDS = {
    "id",
    "base_url",
    "model",
    "key_env",
    "json_mode",
    "thinking",
    "max_tokens",
    "max_tokens_field",
    "temperature",
    "timeout",
    "max_retries",
    "deadline",
    "draft_deadline",
}


def load_models(path: Path | None = None) -> tuple[list[ModelSpec], str | None]:
    """The endpoints of the models file and its default id ([] when there is no file)."""
    path = path or models_file()
    if not path.exists():
        return [], None
    data, lines = read_yaml(path)
    if data is None:
        return [], None
    if not isinstance(data, dict):
        raise InputError(
            Problem("模型配置文件的顶层须为映射（models: …）", file=str(path), line=1, code=CONFIG)
        )
    specs = []
    for index, entry in enumerate(data.get("models") or []):
        line = lines.get(("models", index))
        if not isinstance(entry, dict):
            raise InputError(
                Problem("每个模型条目须为映射", file=str(path), line=line, code=CONFIG)
            )
        if any("key" in str(k) and k != "key_env" for k in entry):
            raise InputError(
                Problem(
                    "不要在配置文件中写 API key，请用 key_env 指向环境变量",
                    file=str(path),
                    line=line,
                    code=CONFIG,
                )
            )
        unknown = set(entry) - _FIELDS
        if unknown:
            raise InputError(
                Problem(
                    f"未知的键 {'、'.join(sorted(unknown))}", file=str(path), line=line, code=CONFIG
                )
            )
        missing = [k for k in ("id", "base_url", "model") if not entry.get(k)]
        if missing:
            raise InputError(
                Problem(
                    f"模型条目缺少 {'、'.join(missing)}", file=str(path), line=line, code=CONFIG
                )
            )
        try:
            specs.append(
                ModelSpec(
                    id=str(entry["id"]),
                    base_url=str(entry["base_url"]).rstrip("/"),
                    model=str(entry["model"]),
                    key_env=entry.get("key_env"),
                    json_mode=bool(entry.get("json_mode", False)),
                    thinking=dict(entry.get("thinking") or {}),
                    max_tokens=int(entry.get("max_tokens", 2048)),
                    max_tokens_field=_max_tokens_field(entry.get("max_tokens_field")),
                    temperature=float(entry.get("temperature", 0.3)),
                    timeout=_seconds("timeout", entry.get("timeout", 120)),
                    max_retries=int(entry.get("max_retries", 2)),
                    deadline=_seconds("deadline", entry.get("deadline", DEFAULT_DEADLINE)),
                    draft_deadline=_seconds(
                        "draft_deadline", entry.get("draft_deadline", DEFAULT_DRAFT_DEADLINE)
                    ),
                )
            )
        except (TypeError, ValueError) as exc:
            raise InputError(
                Problem(f"模型条目的值有误：{exc}", file=str(path), line=line, code=CONFIG)
            ) from None
    default = data.get("default")
    return specs, None if default is None else str(default)


def _seconds(name: str, value: Any) -> float:
    """A time limit in seconds: a positive number (a zero or negative limit would fail every
    call before it starts)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} 须为秒数，得到 {value!r}")
    seconds = float(value)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{name} 须为正的秒数，得到 {value!r}")
    return seconds


def _env_seconds(variable: str) -> float | None:
    """A time limit from the environment, or None when the variable is not set."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    try:
        return _seconds(variable, value)
    except ValueError:
        raise InputError(f"环境变量 {variable} 须为正的秒数，得到 {value!r}", code=CONFIG) from None


def with_env_limits(spec: ModelSpec) -> ModelSpec:
    """The endpoint with the time limits the environment sets (they win over the file)."""
    deadline = _env_seconds(DEADLINE_ENV)
    draft_deadline = _env_seconds(DRAFT_DEADLINE_ENV)
    return replace(
        spec,
        deadline=spec.deadline if deadline is None else deadline,
        draft_deadline=spec.draft_deadline if draft_deadline is None else draft_deadline,
    )


def _max_tokens_field(value: Any) -> str:
    if value is None:
        return "max_tokens"
    if value not in ("max_tokens", "max_completion_tokens"):
        raise ValueError(
            f"max_tokens_field 只能是 max_tokens 或 max_completion_tokens，得到 {value!r}"
        )
    return str(value)


def env_model() -> ModelSpec | None:
    """The endpoint given by DRAFTER_BASE_URL and DRAFTER_MODEL, if both are set."""
    base_url = os.environ.get("DRAFTER_BASE_URL")
    model = os.environ.get("DRAFTER_MODEL")
    if not base_url or not model:
        return None
    key_env = (
        "DRAFTER_API_KEY"
        if os.environ.get("DRAFTER_API_KEY")
        else ("OPENAI_API_KEY" if os.environ.get("OPENAI_API_KEY") else None)
    )
    timeout = _env_seconds("DRAFTER_TIMEOUT") or 120.0
    return ModelSpec(ENV_ID, base_url.rstrip("/"), model, key_env, timeout=timeout)


def resolve_model(
    model_id: str | None, *, offline: bool = False, path: Path | None = None
) -> ModelSpec | None:
    """The endpoint to draft with (with the environment's time limits), or None for the
    offline drafter."""
    if offline:
        return None
    spec = _resolve(model_id, path)
    return None if spec is None else with_env_limits(spec)


def _resolve(model_id: str | None, path: Path | None) -> ModelSpec | None:
    specs, default = load_models(path)
    by_id = {s.id: s for s in specs}
    if model_id is not None:
        if model_id == ENV_ID and env_model() is not None:
            return env_model()
        if model_id not in by_id:
            known = "、".join(by_id) or "（模型配置文件中没有条目）"
            raise InputError(f"未知的模型 {model_id!r}；已配置：{known}", code=CONFIG)
        return by_id[model_id]
    from_env = env_model()
    if from_env is not None:
        return from_env
    if default is not None:
        if default not in by_id:
            raise InputError(f"模型配置文件的 default 指向不存在的条目 {default!r}", code=CONFIG)
        return by_id[default]
    return None
