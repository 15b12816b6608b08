"""The chat model: one small abstraction over any OpenAI-compatible endpoint.

`ChatModel.complete(messages)` sends plain chat messages and returns plain text (the narrative
needs no JSON: Chinese endpoints reject `json_schema` response formats, and placeholders are
parsed deterministically). Every call goes through the audit log, which also answers
identical requests from its cache. langchain-openai's `ChatOpenAI` does the HTTP work, with
its timeout and its own retries of 429/5xx set explicitly (no second retry loop here); it is
imported only when a model is used, so `drafter --help` and `drafter check` stay light.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from drafter.audit import AuditLog, request_hash
from drafter.errors import InputError
from drafter.models import ModelSpec

_THINK = re.compile(r"<think>.*?</think>", re.S)


class ModelError(Exception):
    """The model did not give a usable answer (timeout, HTTP error, refusal, empty text)."""


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int | None
    output_tokens: int | None
    duration: float
    cached: bool


def answer_text(message: Any) -> str:
    """The answer without any reasoning: langchain's `.text` leaves out reasoning blocks, and
    models that think inline (<think>…</think>) have that part removed too."""
    text = getattr(message, "text", None)
    if not isinstance(text, str):
        # langchain-core before 1.0 has text() as a method; content is the portable fallback
        content = getattr(message, "content", message)
        text = content if isinstance(content, str) else str(text() if callable(text) else content)
    text = _THINK.sub("", text)
    if "</think>" in text:  # a thinking block whose opening tag was cut off
        text = text.split("</think>", 1)[1]
    return text.strip()


class ChatModel:
    """A chat model with an id, its endpoint and parameters, logged and cached."""

    def __init__(
        self,
        chat: Any,
        *,
        id: str,
        endpoint: str,
        model: str,
        parameters: dict[str, Any],
        audit: AuditLog | None = None,
        use_cache: bool = True,
    ) -> None:
        self.chat = chat
        self.id = id
        self.endpoint = endpoint
        self.model = model
        self.parameters = parameters
        self.audit = audit
        self.use_cache = use_cache

    def is_cached(self, messages: list[dict[str, str]], prompt_version: str) -> bool:
        """Whether this request was answered before (an answer is in the cache)."""
        if self.audit is None:
            return False
        key = request_hash(self.endpoint, self.model, messages, self.parameters, prompt_version)
        return self.audit.cached(key) is not None

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        section: str | None = None,
        attempt: int | None = None,
        prompt_version: str = "",
    ) -> Completion:
        request = request_hash(self.endpoint, self.model, messages, self.parameters, prompt_version)
        record = {
            "endpoint": self.endpoint,
            "model": self.model,
            "section": section,
            "attempt": attempt,
            "prompt_version": prompt_version,
            "request": request,
            "messages": messages,
            "parameters": self.parameters,
        }

        def log(
            text: str | None,
            error: str | None,
            tokens: tuple[Any, Any],
            duration: float,
            cached: bool,
        ) -> None:
            if self.audit is not None:
                self.audit.record(
                    **record,
                    response=text,
                    error=error,
                    input_tokens=tokens[0],
                    output_tokens=tokens[1],
                    duration=duration,
                    cached=cached,
                )

        if self.use_cache and self.audit is not None:
            hit = self.audit.cached(request)
            if hit is not None:
                text, input_tokens, output_tokens = hit
                log(text, None, (input_tokens, output_tokens), 0.0, True)
                return Completion(text, input_tokens, output_tokens, 0.0, True)
        start = time.perf_counter()
        try:
            message = self.chat.invoke(_langchain_messages(messages))
        except Exception as exc:  # the SDK's own retries are exhausted by now
            reason = _reason(exc)
            log(None, reason, (None, None), time.perf_counter() - start, False)
            raise ModelError(reason) from None
        duration = time.perf_counter() - start
        text = answer_text(message)
        usage = getattr(message, "usage_metadata", None) or {}
        input_tokens, output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
        error = None if text else "模型返回了空回答"
        log(text, error, (input_tokens, output_tokens), duration, False)
        if error:
            raise ModelError(error)
        return Completion(text, input_tokens, output_tokens, duration, False)


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return "请求超时"
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"接口返回 HTTP {status}（{name}）"
    if "Connection" in name:
        return "无法连接到模型接口"
    return f"调用模型出错（{name}）"


def _langchain_messages(messages: list[dict[str, str]]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def openai_chat_model(spec: ModelSpec, audit: AuditLog | None, use_cache: bool = True) -> ChatModel:
    """A ChatModel for an OpenAI-compatible endpoint, through langchain-openai."""
    from langchain_openai import ChatOpenAI

    key = spec.api_key()
    if spec.key_env is not None and key is None:
        raise InputError(f"模型 {spec.id} 的 API key 应在环境变量 {spec.key_env} 中，但它没有设置")
    chat = ChatOpenAI(
        model=spec.model,
        base_url=spec.base_url,
        api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) accept any key
        timeout=spec.timeout,
        max_retries=spec.max_retries,
        temperature=spec.temperature,
        # ChatOpenAI would rename max_tokens to max_completion_tokens, which some compatible
        # servers reject: the field goes into the body under the name the endpoint expects.
        extra_body=spec.body(),
    )
    return ChatModel(
        chat,
        id=spec.id,
        endpoint=spec.base_url,
        model=spec.model,
        parameters=spec.parameters(),
        audit=audit,
        use_cache=use_cache,
    )
