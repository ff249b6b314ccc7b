"""Screenshots of the KPI dashboards for the docs: docs/img/dashboard-<slug>.png.

Run against a running server with demo data (e.g. `make run`), logging in as a user who sees
everything:

    .venv/bin/python scripts/dashboard_screenshots.py --url http://127.0.0.1:8000 \\
        --username admin --password '...' [--range last_90_days] [--out docs/img]

Uses Playwright with Debian's Chromium (/usr/bin/chromium, or $E2E_CHROMIUM), like the
browser tests; Playwright's own browser downloads are never used.
"""

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SLUGS = ("overview", "marketing", "sales", "service", "retention")
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server's base URL.")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--range", default="last_90_days", help="A date range preset.")
    parser.add_argument("--out", default="docs/img", help="Directory for the PNG files.")
    parser.add_argument("--width", type=int, default=1400)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.url.rstrip("/")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", args.username)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        for slug in SLUGS:
            page.goto(f"{base}/analytics/{slug}/?range={args.range}&compare=1")
            page.wait_for_load_state("networkidle")
            page.wait_for_function(
                "[...document.querySelectorAll('canvas[data-kpi-chart]')]"
                ".every((c) => c.dataset.kpiDrawn === 'true')"
            )
            path = out / f"dashboard-{slug}.png"
            page.screenshot(path=str(path), full_page=True)
            print(path)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
