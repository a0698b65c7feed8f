"""A screenshot of gradtui served to a web browser: ``gradtui serve`` seen in headless Chromium.

Run: python screenshots/make_browser_screenshot.py [--out screenshots/gradtui-in-chromium.png]
     [--steps 600] [-- app settings...]

Starts ``gradtui serve`` on a free localhost port, opens the page in Debian's Chromium
through Playwright, presses ``s`` until the step counter reads ``--steps`` worth of
training (space would make the picture depend on the machine's speed: ``s`` steps one
minibatch per press, so the run on show is reproducible), and saves the page as PNG.
"""

from __future__ import annotations

import argparse

from gradtui.tui.cli.serve import serving

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots/gradtui-in-chromium.png")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("settings", nargs="*", help="app settings, e.g. --scenario exploding")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with serving(*args.settings) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.wait_for_timeout(6000)
        page.locator("#terminal").click()
        for _ in range(args.steps):
            page.keyboard.press("s")
        page.wait_for_timeout(4000)
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
