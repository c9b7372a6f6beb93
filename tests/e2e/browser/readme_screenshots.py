"""The README's screenshots, from the demo data at 1280x800.

    .venv/bin/python examples/digits_sweep.py            # the demo store in ./.cairn
    .venv/bin/python tests/e2e/browser/readme_screenshots.py .cairn

Serves the store with ``cairn ui`` and writes docs/images/runs-table.png (the runs table
of project ``digits``, sorted by validation accuracy, grouped columns as a person would
pick them, three runs ticked) and docs/images/compare.png (those three runs compared).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from tests.e2e.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, VIEWPORT, serve

IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"
COLUMNS = (
    "sys/id,sys/name,sys/status,sys/created_at,sys/tags,parameters/lr,parameters/hidden,"
    "parameters/alpha,val/acc,train/loss,val/acc:max"
)


def main(home: Path) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cairn.cli", "ui", "--home", str(home)]
    with serve(command, home.parent) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{url}/projects/digits?sort=-val%2Facc&cols={COLUMNS}")
            expect(page.locator(".runs-row[data-run]").first).to_be_visible()
            rows = page.locator(".runs-row[data-run]")
            keys = [rows.nth(i).get_attribute("data-run") for i in range(3)]
            for key in keys:
                page.get_by_label(f"Select {key}", exact=True).check()
            page.mouse.move(0, 0)
            page.screenshot(path=str(IMAGES / "runs-table.png"))
            print(f"wrote {IMAGES / 'runs-table.png'}")
            page.goto(f"{url}/projects/digits/compare?sel={','.join(k or '' for k in keys)}")
            cards = page.locator(".chart-card[data-metric]")
            expect(cards.first).to_be_visible()
            for i in range(cards.count()):
                card = cards.nth(i)
                expect(card).to_have_attribute("data-loaded", card.get_attribute("data-runs") or "")
            page.wait_for_timeout(500)  # ECharts draws on the next frames
            page.screenshot(path=str(IMAGES / "compare.png"))
            print(f"wrote {IMAGES / 'compare.png'}")
        finally:
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
