"""A small OpenAI-compatible chat server on 127.0.0.1, for tests and benchmarks.

It answers POST /v1/chat/completions like an OpenAI-compatible endpoint, with scriptable
answers, delays and status codes, and records every request it receives (headers and body).
By default it behaves like a well-behaved drafting model: it writes one sentence per
placeholder the prompt offers, using the placeholders as told.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_OFFERED_VALUES = re.compile(r"^- (\{[^}]+\})：(.+)（填入后为“([^”]*)”）$", re.M)


@dataclass
class Reply:
    text: str | None = None  # None: answer like a drafting model
    status: int = 200
    delay: float = 0.0
    reasoning: str | None = None  # sent as reasoning_content, as DeepSeek does


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


def drafting_answer(body: dict[str, Any]) -> str:
    """What a model following the prompt would write: the offered placeholders in sentences,
    each tagged [统计] as the prompt asks."""
    user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
    first = body["messages"][1]["content"] if len(body["messages"]) > 1 else user
    sentences = []
    for name, label, text in _OFFERED_VALUES.findall(first):
        if text.startswith("0") or len(sentences) >= 6 or name.startswith("{yoy"):
            continue  # a careful model does not state zeros as counts
        phrase = label.split("（")[0].split("：")[-1]
        sentences.append(f"{phrase}{name}。[统计]")
    if "必须有一句说明信息处理费" in first:
        sentences.append("本年度信息处理费收取情况已按规定公开。[通用]")
    if not sentences:
        sentences = ["按照要求认真开展相关工作。[通用]"]
    return "".join(sentences)


@dataclass
class StubServer:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    latency: float = 0.0  # added to every reply
    answer: Callable[[dict[str, Any]], str | None] | None = None  # scripted by request content
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def queue(self, *replies: Reply | str) -> None:
        for reply in replies:
            self.replies.append(Reply(reply) if isinstance(reply, str) else reply)

    def start(self) -> StubServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub._lock:
                    stub.requests.append(
                        Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = stub.replies.popleft() if stub.replies else Reply()
                time.sleep(stub.latency + reply.delay)
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": "not found"}})
                if reply.status != 200:
                    return self._send(
                        reply.status,
                        {"error": {"message": f"stub status {reply.status}", "type": "stub"}},
                    )
                text = reply.text
                if text is None and stub.answer is not None:
                    text = stub.answer(body)
                if text is None:
                    text = drafting_answer(body)
                message: dict[str, Any] = {"role": "assistant", "content": text}
                if reply.reasoning is not None:
                    message["reasoning_content"] = reply.reasoning
                prompt_tokens = sum(len(m["content"]) for m in body.get("messages", []))
                self._send(
                    200,
                    {
                        "id": f"stub-{len(stub.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "stub"),
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": len(text),
                            "total_tokens": prompt_tokens + len(text),
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]
