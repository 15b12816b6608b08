"""A small OpenAI-compatible chat server on 127.0.0.1, for tests and benchmarks.

It answers POST /v1/chat/completions like an OpenAI-compatible endpoint, with scriptable
answers, delays and status codes, and records every request it receives (headers and body).
By default it behaves like a well-behaved drafting model: it writes one sentence per
placeholder the prompt offers, using the placeholders as told. It can also misbehave the
ways fuzzing found endpoints do: never answer (`hang`), send the headers and then one byte
at a time (`drip`), answer with megabytes (`megabytes`, optionally `chunked` without a
declared length), or think inline without ever closing the tag (`unclosed_think`).
"""

from __future__ import annotations

import json
import re
import sys
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
    hang: bool = False  # read the request, then never answer (until the server stops)
    drip: float | None = None  # send the headers, then one byte of the body per this many s
    megabytes: float = 0.0  # an answer of this many MB of text (UTF-8)
    chunked: bool = False  # send the body chunked, without Content-Length
    unclosed_think: str | None = None  # the content starts "<think>" + this, never closed


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


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up (a deadline test) is expected, not an error to print."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class StubServer:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    latency: float = 0.0  # added to every reply
    # scripted by request content: the answer's text, a whole Reply, or None (the default)
    answer: Callable[[dict[str, Any]], str | Reply | None] | None = None
    dripped: list[int] = field(default_factory=list)  # bytes each drip sent before it ended
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

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
                scripted = None
                if reply.text is None and stub.answer is not None:
                    scripted = stub.answer(body)
                    if isinstance(scripted, Reply):
                        reply, scripted = scripted, None
                if reply.hang:
                    stub._stopping.wait()
                    self.close_connection = True
                    return None
                time.sleep(stub.latency + reply.delay)
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": "not found"}})
                if reply.status != 200:
                    return self._send(
                        reply.status,
                        {"error": {"message": f"stub status {reply.status}", "type": "stub"}},
                    )
                text = reply.text if reply.text is not None else scripted
                if reply.megabytes:
                    text = "本年度共收到政府信息公开申请。" * int(reply.megabytes * 2**20 / 45)
                if text is None:
                    text = drafting_answer(body)
                if reply.unclosed_think is not None:
                    text = f"<think>{reply.unclosed_think}{text}"
                message: dict[str, Any] = {"role": "assistant", "content": text}
                if reply.reasoning is not None:
                    message["reasoning_content"] = reply.reasoning
                prompt_tokens = sum(len(m["content"]) for m in body.get("messages", []))
                self._send(
                    200,
                    reply=reply,
                    payload={
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

            def _send(
                self, status: int, payload: dict[str, Any], reply: Reply | None = None
            ) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                reply = reply or Reply()
                sent = 0
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if reply.drip is not None:
                        for byte in data:
                            if stub._stopping.wait(reply.drip):
                                break
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            sent += 1
                    elif reply.chunked:
                        for start in range(0, len(data), 65536):
                            piece = data[start : start + 65536]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    if reply.drip is not None:
                        with stub._lock:
                            stub.dripped.append(sent)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # a hung or dripping handler ends now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]
