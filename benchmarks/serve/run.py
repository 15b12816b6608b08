"""Latency of `drafter serve` under 20 simulated users, and the server's peak memory (issue 13).

Starts `drafter serve --workspace <tmp> --port <free>` as a real subprocess on 127.0.0.1,
creates one report per user (the sample statistics uploaded, the agency name made unique),
then runs one thread per user, each with its own session (cookies kept, the CSRF token read
from the session cookie and echoed in `X-CSRF-Token`, as htmx does). Each user does a bounded
loop of `--iterations`:

- page load: GET the 统计 page;
- cell edit -> findings: POST one cell with the page's `base_version`, the findings fragment
  back (HTTP 200, `id="findings"`, the next `base_version` read from it);
- narrative edit -> marks: only when the 起草 page exists (GET /reports/{id}/draft answers
  2xx with a form that posts a textarea under /reports/{id}/draft); else skipped, with a note.

Client-side wall time per request; p50, p95 (nearest rank), max and count per kind. The
server's peak RSS is VmHWM from /proc/<pid>/status at the end, next to the highest polled
VmRSS. Exits 1 if any request failed (a non-2xx answer, or a 2xx without what it should carry).

    .venv/bin/python benchmarks/serve/run.py --users 20 --iterations 30 [--think 2] [--json F]
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
CSRF_COOKIE = "drafter_csrf"
EDITED_CELL = "proactive.licensing"  # a plain count cell: editing it keeps the sample's findings
PAGE, CELL, NARRATIVE = "page load", "cell edit → findings", "narrative edit → marks"
KINDS = (PAGE, CELL, NARRATIVE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in KiB (empty once it has ended)."""
    found: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {k: [] for k in KINDS}
        self.failures: list[str] = []

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def session(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60.0, follow_redirects=False)
    response = client.get("/")
    response.raise_for_status()
    assert client.cookies.get(CSRF_COOKIE), "no CSRF cookie"
    return client


def token(client: httpx.Client) -> str:
    value = client.cookies.get(CSRF_COOKIE)
    assert value
    return value


def base_version(text: str) -> str:
    match = re.search(r'id="base-version"[^>]*value="(\d+)"', text)
    if not match:
        raise ValueError("no base-version in the answer")
    return match.group(1)


def create_report(client: httpx.Client, user: int, year: int) -> int:
    agency = f"基准测试第{user + 1:02d}局"
    response = client.post(
        "/reports", data={"agency": agency, "year": str(year), "csrf_token": token(client)}
    )
    if response.status_code != 303:
        raise RuntimeError(f"create report: HTTP {response.status_code}")
    match = re.fullmatch(r"/reports/(\d+)/stats", response.headers["location"])
    assert match
    report_id = int(match.group(1))
    sample = SAMPLE.read_text(encoding="utf-8")
    sample = re.sub(r"(?m)^agency: .*$", f"agency: {agency}", sample, count=1)
    sample = re.sub(r"(?m)^year: .*$", f"year: {year}", sample, count=1)
    response = client.post(
        f"/reports/{report_id}/stats/upload",
        data={"csrf_token": token(client), "base_version": "1"},
        files={"file": ("stats.yaml", sample.encode("utf-8"))},
    )
    if response.status_code != 303:
        raise RuntimeError(f"upload the sample: HTTP {response.status_code}")
    return report_id


# ---- the 起草 page, if it exists -------------------------------------------------------------


class DraftForm:
    """How to post a narrative edit, found on the 起草 page: the form's URL, its fields."""

    def __init__(self, url: str, fields: dict[str, str], textarea: str) -> None:
        self.url, self.fields, self.textarea = url, fields, textarea


def find_draft_form(text: str, report_id: int) -> DraftForm | None:
    prefix = f"/reports/{report_id}/draft"
    for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", text, re.S):
        attrs, body = form.group(1), form.group(2)
        target = re.search(r'\b(?:hx-post|action)="([^"]+)"', attrs)
        if not target or not html.unescape(target.group(1)).startswith(prefix):
            continue
        areas = re.findall(r'<textarea\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S)
        if not areas:
            continue
        fields = {}
        for tag in re.finditer(r"<input\b[^>]*>", body):
            name = re.search(r'\bname="([^"]+)"', tag.group())
            value = re.search(r'\bvalue="([^"]*)"', tag.group())
            if name:
                fields[html.unescape(name.group(1))] = html.unescape(
                    value.group(1) if value else ""
                )
        name, content = areas[0]
        fields[html.unescape(name)] = html.unescape(content)
        return DraftForm(html.unescape(target.group(1)), fields, html.unescape(name))
    return None


def prepare_draft(client: httpx.Client, report_id: int) -> tuple[str | None, str]:
    """The URL of one part's editor on the 起草 page, drafting first (offline, through the
    page's own form) if the report has no draft yet; None and why, if there is no such page."""
    prefix = f"/reports/{report_id}/draft"
    edit_link = re.compile(rf'hx-get="({re.escape(prefix)}/parts/[^"]+/edit)"')
    try:
        response = client.get(prefix)
        if not response.is_success:
            return None, f"GET /reports/{{id}}/draft answered HTTP {response.status_code}"
        if not edit_link.search(response.text):  # no draft yet: the page offers to make one
            start = re.search(
                rf'<form\b[^>]*action="{re.escape(prefix)}"[^>]*>(.*?)</form>', response.text, re.S
            )
            if start is None:
                return None, "the 起草 page has neither a draft nor a form to make one"
            fields = {}
            for tag in re.findall(r"<input\b[^>]*>", start.group(1)):
                name = re.search(r'\bname="([^"]+)"', tag)
                value = re.search(r'\bvalue="([^"]*)"', tag)
                if name:
                    fields[html.unescape(name.group(1))] = html.unescape(
                        value.group(1) if value else ""
                    )
            made = client.post(prefix, data=fields)
            if made.status_code != 303:
                return None, f"making the draft answered HTTP {made.status_code}"
            response = client.get(prefix)
        found = edit_link.search(response.text)
        if not response.is_success or not found:
            return None, "the 起草 page shows no part with an editor"
    except httpx.HTTPError as exc:
        return None, f"the 起草 page failed: {exc!r}"
    url = html.unescape(found.group(1))
    return url, f"narrative edits: the editor of {url.replace(str(report_id), '{id}', 1)}"


def post_narrative(client: httpx.Client, form: DraftForm, iteration: int) -> httpx.Response:
    fields = dict(form.fields)
    fields[form.textarea] = fields[form.textarea] + f"\n本年度共修订{iteration + 1}次。"
    return client.post(
        form.url, data=fields, headers={"X-CSRF-Token": token(client), "HX-Request": "true"}
    )


# ---- one user ------------------------------------------------------------------------------


def user_loop(
    client: httpx.Client,
    report_id: int,
    iterations: int,
    editor: str | None,
    start: threading.Barrier,
    results: Results,
    think: float = 0.0,
    seed: int = 0,
) -> None:
    """One user's bounded loop. With `think` > 0 the user pauses before each action for a
    random time (uniform in [0.5, 1.5] × `think` seconds, seeded): a person reads the
    findings before typing the next cell. With 0 the user sends requests back to back."""
    pause = random.Random(seed)

    def think_time() -> None:
        if think > 0:
            time.sleep(think * pause.uniform(0.5, 1.5))

    start.wait()
    for it in range(iterations):
        where = f"report {report_id}, iteration {it}"
        try:
            think_time()
            began = time.perf_counter()
            page = client.get(f"/reports/{report_id}/stats")
            results.add(PAGE, time.perf_counter() - began)
            if page.status_code != 200 or 'id="findings"' not in page.text:
                results.fail(f"{where}: page load HTTP {page.status_code}")
                continue
            base = base_version(page.text)
            think_time()
            began = time.perf_counter()
            edited = client.post(
                f"/reports/{report_id}/stats/cells",
                data={"base_version": base, f"cell:{EDITED_CELL}": str(100 + it)},
                headers={"X-CSRF-Token": token(client), "HX-Request": "true"},
            )
            results.add(CELL, time.perf_counter() - began)
            if edited.status_code != 200 or 'id="findings"' not in edited.text:
                results.fail(f"{where}: cell edit HTTP {edited.status_code}")
            elif int(base_version(edited.text)) != int(base) + 1:
                results.fail(f"{where}: cell edit did not save a new version")
            if editor:
                response = client.get(editor)  # the part's editor (not timed)
                form = find_draft_form(response.text, report_id) if response.is_success else None
                if form is None:
                    results.fail(f"{where}: part editor HTTP {response.status_code}, no form")
                    continue
                think_time()
                began = time.perf_counter()
                marked = post_narrative(client, form, it)
                results.add(NARRATIVE, time.perf_counter() - began)
                if marked.status_code != 200 or "part-box" not in marked.text:
                    results.fail(f"{where}: narrative edit HTTP {marked.status_code}")
        except Exception as exc:  # counted as a failure, the run goes on
            results.fail(f"{where}: {exc!r}")


# ---- the run -------------------------------------------------------------------------------


def start_server(workspace: Path, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "drafter", "serve", "--workspace", str(workspace)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server ended ({server.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not answer within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a user pauses before each action (0: back to back, saturating)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    results = Results()
    with tempfile.TemporaryDirectory(prefix="drafter-serve-bench-") as tmp:
        port = free_port()
        log = Path(tmp) / "server.log"
        server = start_server(Path(tmp) / "ws", port, log)
        peak_rss = 0
        polling = threading.Event()

        def poll() -> None:
            nonlocal peak_rss
            while not polling.wait(0.05):
                peak_rss = max(peak_rss, proc_status(server.pid).get("VmRSS", 0))

        try:
            base_url = f"http://127.0.0.1:{port}"
            clients = [session(base_url) for _ in range(args.users)]
            reports = [create_report(c, i, args.year) for i, c in enumerate(clients)]
            editors = [prepare_draft(c, r) for c, r in zip(clients, reports, strict=True)]
            draft_note = editors[0][1]
            editor_urls = [e[0] for e in editors]
            failed = [
                (r, note) for (url, note), r in zip(editors, reports, strict=True) if url is None
            ]
            if failed:  # all users edit narratives, or none does
                editor_urls = [None] * len(editor_urls)
                draft_note = f"report {failed[0][0]}: {failed[0][1]}"
            idle = proc_status(server.pid)
            cpu_before = cpu_seconds(server.pid)
            load_before = os.getloadavg()
            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            start = threading.Barrier(args.users)
            threads = [
                threading.Thread(
                    target=user_loop,
                    args=(c, r, args.iterations, e, start, results, args.think, i),
                )
                for i, (c, r, e) in enumerate(zip(clients, reports, editor_urls, strict=True))
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
            polling.set()
            poller.join()
            cpu = cpu_seconds(server.pid) - cpu_before
            end = proc_status(server.pid)
            load_after = os.getloadavg()
            for client in clients:
                client.close()
        finally:
            stop_server(server)

    requests = sum(len(v) for v in results.times.values())
    print(
        f"drafter serve: {args.users} users × {args.iterations} iterations, "
        f"think time {args.think:g} s, one uvicorn worker, "
        f"127.0.0.1, {os.cpu_count()} CPUs"
    )
    print(f"{'request':<26}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    figures: dict[str, Any] = {}
    for kind in KINDS:
        values = results.times[kind]
        if not values:
            print(f"{kind:<26}{'—':>7}   skipped: {draft_note}" if kind == NARRATIVE else kind)
            if kind == NARRATIVE:
                figures[kind] = {"skipped": draft_note}
            continue
        p50, p95, top = (1000 * nearest_rank(values, p) for p in (0.5, 0.95, 1.0))
        figures[kind] = {"count": len(values), "p50_ms": p50, "p95_ms": p95, "max_ms": top}
        print(f"{kind:<26}{len(values):>7}{p50:>9.1f}{p95:>9.1f}{top:>9.1f}")
    print(
        f"{requests} timed requests in {wall:.1f} s ({requests / wall:.1f}/s); server CPU "
        f"{cpu:.1f} s ({100 * cpu / wall:.0f}% of one core)"
    )
    print(
        f"server RSS: {idle.get('VmRSS', 0) / 1024:.1f} MiB idle after setup, peak "
        f"{end.get('VmHWM', 0) / 1024:.1f} MiB (VmHWM; polled VmRSS max "
        f"{peak_rss / 1024:.1f} MiB)"
    )
    print(
        "load average (1/5/15 min): before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
    )
    if editor_urls[0] is not None:
        print(f"note: {draft_note}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "users": args.users,
                    "iterations": args.iterations,
                    "think_seconds": args.think,
                    "latency": figures,
                    "narrative": draft_note,
                    "wall_s": wall,
                    "server_cpu_s": cpu,
                    "rss_idle_kib": idle.get("VmRSS"),
                    "rss_peak_kib": end.get("VmHWM"),
                    "failures": results.failures,
                    "loadavg_before": load_before,
                    "loadavg_after": load_after,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    if results.failures:
        print(f"{len(results.failures)} failed requests, e.g.:", file=sys.stderr)
        for message in results.failures[:10]:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
