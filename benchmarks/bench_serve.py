"""What each browser viewer of ``gradtui serve`` costs: CPU and memory of its app process.

Run: python benchmarks/bench_serve.py [--viewers 3] [--seconds 10]

Starts ``gradtui serve`` on a free localhost port, opens ``--viewers`` pages in headless
Chromium (Debian's /usr/bin/chromium through Playwright), and measures each viewer's app
process from /proc: CPU (user + system time over the window, as a share of one core)
while the run is paused, then while every viewer trains, and resident memory. The
server process itself is measured too. textual-serve starts one app process per page,
so the cost grows linearly with the number of viewers; the table says by how much.
"""

from __future__ import annotations

import argparse
import os
import time
from urllib.parse import urlsplit

from gradtui.tui.cli.serve import serving

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def commands() -> dict[int, list[bytes]]:
    """Every process's command line, by pid."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    found[int(name)] = fh.read().split(b"\0")
            except OSError:
                continue
    return found


def server_process(port: int) -> int:
    """The ``gradtui serve --port PORT`` process."""
    return next(pid for pid, cmd in commands().items()
                if b"serve" in cmd and str(port).encode() in cmd and b"gradtui" in cmd)


def app_processes(server_pid: int) -> list[int]:
    """The ``python -m gradtui`` processes the server started (through a shell), one per viewer."""
    found = []
    for pid, cmd in commands().items():
        try:
            with open(f"/proc/{pid}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if cmd[1:3] == [b"-m", b"gradtui"] and b"serve" not in cmd and _descends(parent, server_pid):
            found.append(pid)
    return found


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
    return False


def cpu_share(pids: list[int], seconds: float, wait) -> list[float]:
    before = [cpu_seconds(p) for p in pids]
    start = time.monotonic()
    wait(seconds)
    elapsed = time.monotonic() - start
    return [(cpu_seconds(p) - b) / elapsed for p, b in zip(pids, before)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with serving() as url, sync_playwright() as p:
        server = server_process(urlsplit(url).port)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        pages = []
        for _ in range(args.viewers):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            pages.append(page)

        def wait(seconds: float) -> None:
            pages[0].wait_for_timeout(seconds * 1000)

        wait(8)  # every app up and drawn
        apps = app_processes(server)
        assert len(apps) == args.viewers, f"found {len(apps)} app processes"
        idle = cpu_share(apps, args.seconds, wait)
        for page in pages:
            page.locator("#terminal").click()
            page.keyboard.press("Space")
        training = cpu_share(apps, args.seconds, wait)
        server_share = cpu_share([server], 3, wait)[0]
        memory = [rss_mb(pid) for pid in apps]
        server_memory = rss_mb(server)
        browser.close()
    print(f"{args.viewers} viewers, {os.cpu_count()} cores, {args.seconds:g} s windows")
    print(f"{'app process':<14}{'paused CPU':>12}{'training CPU':>14}{'RSS MB':>9}")
    for i, (a, b, m) in enumerate(zip(idle, training, memory)):
        print(f"{'viewer ' + str(i + 1):<14}{a:>11.0%}{b:>14.0%}{m:>9.0f}")
    print(f"{'server':<14}{'':>12}{server_share:>14.0%}{server_memory:>9.0f}")


if __name__ == "__main__":
    main()
