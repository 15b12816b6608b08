"""The chat model: one small abstraction over any OpenAI-compatible endpoint.

`ChatModel.complete(messages)` sends plain chat messages and returns plain text (the narrative
needs no JSON: Chinese endpoints reject `json_schema` response formats, and placeholders are
parsed deterministically). Every call goes through the audit log, which also answers
identical requests from its cache. langchain-openai's `ChatOpenAI` does the HTTP work, with
its timeout and its own retries of 429/5xx set explicitly (no second retry loop here); it is
imported only when a model is used, so `drafter --help` and `drafter check` stay light.

A misbehaving endpoint must not be able to stall a draft, fill the document with the model's
reasoning or flood memory and the audit log, so every call is bounded:

- in time: httpx's timeout applies to each read, so a server that never answers costs the
  timeout once per retry, and one that sends a byte now and then never trips it. Each call
  therefore runs in a thread of its own with its own HTTP client, and is given up at its
  deadline (the call's, or the draft's if that comes first): the client is closed, which
  tears its connection down and leaves the SDK no connection to retry on, and the per-read
  timeout is cut to the time left so a read that was already waiting ends by then too.
- in size: a response body over `RESPONSE_BYTES_LIMIT` is refused while it arrives, an answer
  over `ANSWER_LIMIT` characters is refused when read (neither goes back to the model);
- in content: reasoning (<think>…</think>, closed or not) never counts as the answer.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from drafter.audit import AuditLog, request_hash
from drafter.drafting.models import DEFAULT_DEADLINE, DEFAULT_DRAFT_DEADLINE, ModelSpec
from drafter.errors import InputError

# A narrative part of a report runs to a few hundred, at most a few thousand characters, and
# the default max_tokens (2048) lets a model write about 3,000. An answer four times that long
# is no draft of a part (a server ignoring max_tokens, a model looping): it is refused instead
# of being verified, repaired (which would send it back to the model) and stored.
ANSWER_LIMIT = 12_000
# The body of one response: the answer (≤ 12,000 characters, up to 6 bytes each when the JSON
# escapes them) and any reasoning the endpoint sends beside it (tens of thousands of tokens
# for a reasoning model) fit with room to spare.
RESPONSE_BYTES_LIMIT = 2_000_000

_REASONING = "think|thinking|reasoning"  # the tags models that think inline wrap it in
_OPENING_NAMED = re.compile(rf"<({_REASONING})>", re.I)
_OPENING = re.compile(rf"<(?:{_REASONING})>", re.I)
_CLOSING = re.compile(rf"</(?:{_REASONING})\s*>", re.I)


class ModelError(Exception):
    """The model did not give a usable answer (timeout, HTTP error, refusal, empty text)."""


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int | None
    output_tokens: int | None
    duration: float
    cached: bool
    call: int | None = None  # its id in the audit log (None without one)


@dataclass(frozen=True)
class Deadline:
    """When a call must be over (a `time.monotonic()` value) and what to say when it is not."""

    at: float
    reason: str  # the ModelError's message

    @staticmethod
    def after(seconds: float, what: str) -> Deadline:
        return Deadline(time.monotonic() + seconds, f"{what}超过总时限（{seconds:g} 秒）")


# Opens one call's own chat client: given the per-read timeout to use and the function to call
# with a reason when the transport refuses the answer, the chat model to invoke and the
# function that closes the client (ending the call at once if it is still running).
Connect = Callable[[float, Callable[[str], None]], tuple[Any, Callable[[], None]]]


def answer_text(message: Any) -> str:
    """The answer without any reasoning: langchain's `.text` leaves out reasoning blocks, and
    models that think inline have that part removed too: closed blocks (<think>…</think>),
    everything before a closing tag whose opening tag was cut off, and everything after an
    opening tag that is never closed (an answer cut off while thinking, or a model that
    forgot the tag) — a reasoning that leaks into a government report is worse than a part
    drafted offline."""
    text = getattr(message, "text", None)
    if not isinstance(text, str):
        # langchain-core before 1.0 has text() as a method; content is the portable fallback
        content = getattr(message, "content", message)
        text = content if isinstance(content, str) else str(text() if callable(text) else content)
    text = _without_closed_blocks(text)
    closings = list(_CLOSING.finditer(text))
    if closings:
        text = text[closings[-1].end() :]
    opening = _OPENING.search(text)
    if opening is not None:
        text = text[: opening.start()]
    return text.strip()


def _without_closed_blocks(text: str) -> str:
    """`text` without its <think>…</think> blocks (each closed by a tag of its own name), up
    to the first opening tag that is never closed, which is kept for the caller. One pass
    from left to right: a lazy `<(think)>.*?</\\1>` would be quadratic on a long answer made
    of opening tags."""
    out: list[str] = []
    position = 0
    while True:
        opening = _OPENING_NAMED.search(text, position)
        if opening is None:
            break
        closing = re.compile(rf"</{opening.group(1)}\s*+>", re.I).search(text, opening.end())
        if closing is None:
            break
        out.append(text[position : opening.start()])
        position = closing.end()
    out.append(text[position:])
    return "".join(out)


def _has_reasoning(message: Any) -> bool:
    content = getattr(message, "content", "")
    return isinstance(content, str) and bool(_OPENING.search(content) or _CLOSING.search(content))


class ChatModel:
    """A chat model with an id, its endpoint and parameters, logged and cached, each call
    bounded by its deadline."""

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
        deadline: float = DEFAULT_DEADLINE,
        draft_deadline: float = DEFAULT_DRAFT_DEADLINE,
        connect: Connect | None = None,
    ) -> None:
        self.chat = chat  # the model to invoke when there is no `connect` (fakes in tests)
        self.id = id
        self.endpoint = endpoint
        self.model = model
        self.parameters = parameters
        self.audit = audit
        self.use_cache = use_cache
        self.deadline = deadline  # seconds for one call, its retries included
        self.draft_deadline = draft_deadline  # seconds for all calls of a draft (the drafter's)
        self._connect = connect

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
        until: Deadline | None = None,
    ) -> Completion:
        """The answer to the messages. `until` is a deadline of the caller's (the draft's):
        the call ends at it or at its own deadline, whichever comes first."""
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
        ) -> int | None:
            if self.audit is None:
                return None
            return self.audit.record(
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
            if hit is not None:  # free, so answered even when the draft's time is up
                text, input_tokens, output_tokens = hit
                call = log(text, None, (input_tokens, output_tokens), 0.0, True)
                return Completion(text, input_tokens, output_tokens, 0.0, True, call)
        deadline = Deadline.after(self.deadline, "模型调用")
        if until is not None and until.at < deadline.at:
            deadline = until
        start = time.perf_counter()
        try:
            message = self._invoke(messages, deadline)
        except ModelError as exc:
            log(None, str(exc), (None, None), time.perf_counter() - start, False)
            raise
        duration = time.perf_counter() - start
        text = answer_text(message)
        usage = getattr(message, "usage_metadata", None) or {}
        input_tokens, output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
        error = None
        if not text:
            error = "模型返回了空回答" + ("（只有推理过程）" if _has_reasoning(message) else "")
        elif len(text) > ANSWER_LIMIT:
            error = f"回答过长（{len(text)} 字，一个部分不应超过 {ANSWER_LIMIT} 字）"
        call = log(text, error, (input_tokens, output_tokens), duration, False)
        if error:
            raise ModelError(error)
        return Completion(text, input_tokens, output_tokens, duration, False, call)

    def _invoke(self, messages: list[dict[str, str]], deadline: Deadline) -> Any:
        """The model's message, or ModelError: the call runs in a daemon thread of its own and
        is waited for until the deadline only. At the deadline its client is closed, so that
        the thread's next read fails and no retry can start; a read already waiting ends with
        the per-read timeout, which is cut to the time the call had. A daemon thread never
        holds up the end of the process."""
        left = deadline.at - time.monotonic()
        if left <= 0:
            raise ModelError(deadline.reason)
        done = threading.Event()
        outcome: dict[str, Any] = {}
        refused: list[str] = []

        def refuse(reason: str) -> None:  # the transport turned the answer away on arrival
            refused.append(reason)
            done.set()

        if self._connect is not None:
            chat, close = self._connect(left, refuse)
        else:
            chat, close = self.chat, _nothing
        prompt = _langchain_messages(messages)
        context = contextvars.copy_context()  # langchain's callbacks and tracing live there

        def run() -> None:
            try:
                outcome["message"] = context.run(chat.invoke, prompt)
            except BaseException as exc:  # reported to the waiting side, never lost
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name=f"drafter-{self.id}-call", daemon=True).start()
        finished = done.wait(max(0.0, deadline.at - time.monotonic()))  # connecting took some
        close()
        if refused:
            raise ModelError(refused[0])
        if not finished:
            raise ModelError(deadline.reason)
        if "error" in outcome:
            if time.monotonic() >= deadline.at:  # a read timeout cut to the deadline
                raise ModelError(deadline.reason)
            raise ModelError(_reason(outcome["error"]))  # the SDK's own retries are exhausted
        return outcome["message"]


def _nothing() -> None:
    """Closing a chat model that has no connection of its own to close."""


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
    """A ChatModel for an OpenAI-compatible endpoint, through langchain-openai. Each call gets
    a ChatOpenAI with an HTTP client of its own, which is closed when the call is over: a call
    given up at its deadline can then be torn down without touching the calls that draft
    other parts at the same time."""
    import openai
    from langchain_openai import ChatOpenAI  # imported here, not in a call's time

    if spec.key_env is not None and spec.api_key() is None:
        raise InputError(
            f"模型 {spec.id} 的 API key 应在环境变量 {spec.key_env} 中，但它没有设置",
            code="E-MODEL-CONFIG",
        )
    httpx = _sdk_httpx()
    make_ssl = getattr(httpx, "create_ssl_context", None)
    # Built once: loading the certificate store is most of the cost of a new client.
    verify = make_ssl() if make_ssl is not None else True
    proxy = os.environ.get("OPENAI_PROXY") or None  # what ChatOpenAI itself would use
    async_client = openai.DefaultAsyncHttpxClient(verify=verify)

    def connect(seconds: float, refuse: Callable[[str], None]) -> tuple[Any, Callable[[], None]]:
        client = openai.DefaultHttpxClient(
            verify=verify,
            event_hooks={"response": [_size_guard(httpx, refuse)]},
            **({"proxy": proxy} if proxy else {}),
        )
        chat = ChatOpenAI(
            model=spec.model,
            base_url=spec.base_url,
            # read now, never kept; local servers (Ollama, llama.cpp) accept any key
            api_key=spec.api_key() or "not-needed",
            timeout=min(spec.timeout, seconds),
            max_retries=spec.max_retries,
            temperature=spec.temperature,
            # ChatOpenAI would rename max_tokens to max_completion_tokens, which some
            # compatible servers reject: the field goes into the body under the name the
            # endpoint expects.
            extra_body=spec.body(),
            http_client=client,
            # never used (calls are synchronous), but given, so that ChatOpenAI does not build
            # one per call (and cache one per distinct timeout)
            http_async_client=async_client,
            openai_proxy=None,  # the proxy is the client's (ChatOpenAI refuses both)
        )
        return chat, client.close

    return ChatModel(
        None,
        id=spec.id,
        endpoint=spec.base_url,
        model=spec.model,
        parameters=spec.parameters(),
        audit=audit,
        use_cache=use_cache,
        deadline=spec.deadline,
        draft_deadline=spec.draft_deadline,
        connect=connect,
    )


def _sdk_httpx() -> ModuleType:
    """The httpx the installed openai SDK is built on (httpx, or from openai 3 on its
    API-identical successor httpx2): objects handed to the SDK's client must come from it."""
    import openai

    client = next(c for c in openai.DefaultHttpxClient.__mro__ if c.__name__ == "Client")
    return importlib.import_module(client.__module__.partition(".")[0])


class _Refused(Exception):
    """The response was turned away while it arrived (too large)."""


def _size_guard(httpx: ModuleType, refuse: Callable[[str], None]) -> Callable[[Any], None]:
    """A response hook that refuses a body over RESPONSE_BYTES_LIMIT: at once when its
    declared length is over, else as soon as that many bytes have arrived (a runaway answer
    never fills memory). `refuse` tells the waiting side first, so the call ends at once
    even if the SDK would retry."""

    def too_large(size: str) -> _Refused:
        reason = f"回答过长（超过 {RESPONSE_BYTES_LIMIT // 1_000_000} MB，{size}）"
        refuse(reason)
        return _Refused(reason)

    def guard(response: Any) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > RESPONSE_BYTES_LIMIT:
            raise too_large(f"声明长度 {int(declared)} 字节")
        response.stream = _capped_stream(httpx.SyncByteStream)(response.stream, too_large)

    return guard


@functools.cache
def _capped_stream(base: type) -> type:
    """A byte stream of the SDK's httpx (its isinstance checks need the real base class) that
    stops at RESPONSE_BYTES_LIMIT."""

    class CappedStream(base):  # type: ignore[valid-type,misc]
        def __init__(self, inner: Any, too_large: Callable[[str], Exception]) -> None:
            self._inner = inner
            self._too_large = too_large

        def __iter__(self) -> Any:
            size = 0
            for chunk in self._inner:
                size += len(chunk)
                if size > RESPONSE_BYTES_LIMIT:
                    raise self._too_large(f"已收到 {size} 字节")
                yield chunk

        def close(self) -> None:
            self._inner.close()

    return CappedStream
