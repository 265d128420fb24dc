"""Does the server give back the memory of explored uploads once their visitors have left?

    python -m tests.benchmarks.explore_memory [--sessions 12] [--calls 100000] [--ttl 20]

The hostile-input issue (item 10): twelve sessions exploring a 27 MB upload took the server
from 569 to 1,963 MB, still 1,822 MB two minutes after they closed. Each explored upload is an
in-memory store held by its session; Streamlit keeps a disconnected session for
`server.disconnectedSessionTTL` seconds and then forgets it only lazily, so Ridealong closes
those stores itself once their session has been gone that long (dashboard/sessions.py).

Steps: `ridealong sample --calls N` writes the upload (100,000 calls ≈ 27 MB); `ridealong serve`
runs on an empty store (it loads the bundled sample) with the TTL set to --ttl seconds; SESSIONS
browser contexts (Debian's Chromium through Playwright) each open the Upload page, choose the
file and press "Explore this file", and stay; then every context is closed and the server's resident
memory (RSS, the process and its children, from /proc) is printed every 5 s until TTL + 40 s.
Printed, not asserted: the figure to read is "after" against "before" and "peak".
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, VIEWPORT, Server, Tab, clean_env, free_port
from tests.e2e.browser import ridealong as ridealong_command


def rss_mb(pid: int) -> float:
    """Resident memory of PID and its descendants, in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss = next(line for line in status.splitlines() if line.startswith("VmRSS"))
        total += int(rss.split()[1])
        pids += [int(c) for c in children]
    return total / 1024


def serve(folder: Path, ttl: int) -> Server:
    port = free_port()
    log = folder / "server.log"
    env = clean_env(folder / "home")
    (folder / "home").mkdir()
    env["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(ttl)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ridealong_command(), "serve", "--db", str(folder / "team.duckdb"), "--port",
             str(port), "--host", "127.0.0.1"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return Server(f"http://127.0.0.1:{port}", folder / "team.duckdb", log, process).ready()


def explore(tab: Tab, upload: Path) -> None:
    tab.open("/upload")
    widget = tab.main.get_by_test_id("stFileUploader").first
    before = tab.runs
    widget.locator("input[type=file]").set_input_files(upload)
    tab.settle(before + 1)
    button = tab.main.get_by_role("button", name="Explore this file")
    button.wait_for(timeout=600_000)
    before = tab.runs
    button.click()
    tab.settle(before + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--calls", type=int, default=100_000, help="calls in the upload")
    parser.add_argument("--ttl", type=int, default=20, help="server.disconnectedSessionTTL")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ridealong-bench-") as tmp:
        folder = Path(tmp)
        upload = folder / "upload.csv"
        subprocess.run(
            [ridealong_command(), "sample", "--calls", str(args.calls), "--out", str(upload)],
            check=True, capture_output=True,
        )  # fmt: skip
        print(f"upload: {upload.stat().st_size / 1e6:.1f} MB ({args.calls:,} calls)")
        server = serve(folder, args.ttl)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                first = Tab(browser.new_context(viewport=VIEWPORT).new_page(), server.url)
                first.watch()
                first.open("/")
                first.page.context.close()
                before = rss_mb(server.process.pid)
                print(f"before: {before:,.0f} MB (the sample store loaded, one visit)")
                contexts = []
                for i in range(args.sessions):
                    context = browser.new_context(viewport=VIEWPORT)
                    context.set_default_timeout(600_000)
                    tab = Tab(context.new_page(), server.url)
                    tab.watch()
                    explore(tab, upload)
                    contexts.append(context)
                    print(f"session {i + 1:>2} exploring: {rss_mb(server.process.pid):,.0f} MB")
                peak = rss_mb(server.process.pid)
                for context in contexts:
                    context.close()  # the visitors leave: their websockets close
                browser.close()
            left = time.monotonic()
            while (waited := time.monotonic() - left) < args.ttl + 40:
                time.sleep(5)
                print(f"{waited:5.0f} s after the last left: {rss_mb(server.process.pid):,.0f} MB")
            after = rss_mb(server.process.pid)
            print(
                f"before {before:,.0f} MB, peak {peak:,.0f} MB, "
                f"{args.ttl + 40} s after the last visitor left {after:,.0f} MB "
                f"(TTL {args.ttl} s)"
            )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
