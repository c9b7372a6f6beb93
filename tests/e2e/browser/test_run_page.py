"""The run page's second half in Chromium: inline edits of tags and description (also
from the runs table), file previews (image, CSV, JSON, HTML, the git diff), a file series
as an image gallery with a step slider, and chart smoothing and time axes."""

from __future__ import annotations

import json
import struct
import sys
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browser.conftest import serve

import cairn

pytestmark = pytest.mark.slow

Shot = Callable[[str], None]
COLOURS = [(220, 40, 40), (40, 160, 60), (40, 80, 220)]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour, written by hand (no imaging package needed)."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def media_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cairn ui`` over one run (MEDIA-1) with files of each kind, a file series of three
    images and a float series."""
    folder = tmp_path_factory.mktemp("media")
    home = folder / ".cairn"
    with cairn.init(
        project="media", name="with-files", home=home, capture=False, tags=["keep", "old"]
    ) as run:
        run["charts/confusion"].upload(
            cairn.File.from_bytes(png(64, 48, (200, 120, 30)), name="confusion.png")
        )
        run["data/sample"].upload(
            cairn.File.from_bytes(b"epoch,loss,acc\n1,0.9,0.5\n2,0.4,0.8\n", name="metrics.csv")
        )
        config = {"model": {"layers": 3, "width": 128}, "lr": 0.01}
        run["config"].upload(cairn.File.from_bytes(json.dumps(config).encode(), name="config.json"))
        run["charts/report"].upload(
            cairn.File.from_bytes(b"<h1 id=title>Report</h1>", name="report.html")
        )
        diff = (
            b"diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n"
            b"@@ -1 +1 @@\n-lr = 0.1\n+lr = 0.01\n"
        )
        run["source/git/diff"].upload(
            cairn.File.from_bytes(diff, name="diff.patch", mime="text/x-diff")
        )
        for step, rgb in zip((0, 5, 10), COLOURS, strict=True):
            image = cairn.File.from_bytes(png(32, 32, rgb), name=f"pred-{step}.png")
            run["eval/predictions"].log(image, step=step)
        for step in range(300):
            run["train/loss"].log(1.0 / (step + 1) + (0.2 if step % 2 else 0.0))
    with serve([sys.executable, "-m", "cairn.cli", "ui", "--home", str(home)], folder) as url:
        yield url


def run_json(url: str, key: str = "MEDIA-1") -> dict[str, object]:
    answer: dict[str, object] = httpx.get(f"{url}/api/v1/runs/{key}").json()
    return answer


def test_edit_tags_and_description(page: Page, media_url: str, screenshot: Shot) -> None:
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1")
    editor = page.get_by_test_id("overview").get_by_test_id("tag-editor")
    editor.get_by_role("button", name="Add tags").click()
    editor.get_by_label("New tags").fill("best, v2")
    editor.get_by_label("New tags").press("Enter")
    expect(editor.locator(".tag[data-tag=v2]")).to_be_visible()
    editor.get_by_role("button", name="Remove tag old").click()
    expect(editor.locator(".tag[data-tag=old]")).to_have_count(0)

    page.get_by_test_id("edit-description").click()
    text = "Trained with **warm restarts**.\n\n- one\n- two"
    page.get_by_label("Description (Markdown)").fill(text)
    page.get_by_role("button", name="Save").click()
    description = page.get_by_test_id("description")
    expect(description.locator("strong")).to_have_text("warm restarts")
    expect(description.locator("li")).to_have_count(2)
    screenshot("run-edit")

    stored = run_json(media_url)
    assert sorted(stored["tags"]) == ["best", "keep", "v2"]  # type: ignore[arg-type]
    assert stored["description"] == text
    page.reload()  # persisted, not only shown
    expect(page.get_by_test_id("description").locator("strong")).to_have_text("warm restarts")


def test_markdown_cannot_run_scripts(page: Page, media_url: str) -> None:
    httpx.patch(
        f"{media_url}/api/v1/runs/MEDIA-1",
        json={
            "description": 'Hi <img src=x onerror="window.__pwned=1">'
            " <script>window.__pwned=2</script>"
        },
    ).raise_for_status()
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1")
    expect(page.get_by_test_id("description")).to_contain_text("Hi")
    assert page.evaluate("window.__pwned") is None
    assert page.get_by_test_id("description").locator("script").count() == 0


def test_tags_edit_from_the_runs_table(page: Page, media_url: str) -> None:
    page.goto(f"{media_url}/projects/media")
    cell = page.locator(".runs-row[data-run=MEDIA-1] [data-column='sys/tags']")
    cell.hover()
    cell.get_by_role("button", name="Add tags").click()
    cell.get_by_label("New tags").fill("from-table")
    cell.get_by_label("New tags").press("Enter")
    expect(cell.locator(".tag[data-tag=from-table]")).to_be_visible()
    assert "from-table" in run_json(media_url)["tags"]  # type: ignore[operator]
    cell.hover()
    cell.get_by_role("button", name="Remove tag from-table").click()
    expect(cell.locator(".tag[data-tag=from-table]")).to_have_count(0)
    assert "from-table" not in run_json(media_url)["tags"]  # type: ignore[operator]


def test_file_previews(page: Page, media_url: str, screenshot: Shot) -> None:
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1?tab=files")
    files = page.get_by_test_id("files")
    preview = page.get_by_test_id("file-preview")

    files.get_by_role("button", name="data/sample").click()
    table = preview.get_by_test_id("csv-table")
    expect(table.locator("th")).to_have_text(["epoch", "loss", "acc"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("0.8")
    assert "file=data%2Fsample" in page.url or "file=data/sample" in page.url

    files.get_by_role("button", name="config").click()
    expect(preview.get_by_test_id("json-preview")).to_contain_text('"width": 128')
    expect(preview.get_by_test_id("json-preview")).to_contain_text('\n  "model": {')

    files.get_by_role("button", name="charts/report").click()
    frame = preview.get_by_test_id("html-preview")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    expect(page.frame_locator("[data-testid=html-preview]").locator("#title")).to_have_text(
        "Report"
    )

    files.get_by_role("button", name="charts/confusion").click()
    image = preview.get_by_test_id("image-preview")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=image-preview]')?.naturalWidth === 64"
    )
    screenshot("run-files-preview")

    with page.expect_download() as download:
        preview.get_by_role("button", name="Download").click()
    assert download.value.path().read_bytes() == png(64, 48, (200, 120, 30))


def test_git_diff_on_the_overview(page: Page, media_url: str, screenshot: Shot) -> None:
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1")
    box = page.get_by_test_id("git-diff")
    box.get_by_role("button").click()
    diff = box.get_by_test_id("diff")
    expect(diff.locator(".diff-add")).to_have_text(["+lr = 0.01"])
    expect(diff.locator(".diff-file").first).to_have_text("diff --git a/train.py b/train.py")
    expect(diff.locator(".diff-del")).to_have_text(["-lr = 0.1"])
    expect(diff.locator(".diff-hunk")).to_have_count(1)
    screenshot("run-git-diff")


def shown_image_colour(page: Page) -> list[int]:
    """The colour of the gallery's image, read back from a canvas."""
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=gallery] img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    rgb = page.evaluate(
        """() => {
            const img = document.querySelector('[data-testid=gallery] img');
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            return Array.from(ctx.getImageData(1, 1, 1, 1).data.slice(0, 3));
        }"""
    )
    assert isinstance(rgb, list)
    return [int(v) for v in rgb]


def test_gallery_slider_changes_the_image(page: Page, media_url: str, screenshot: Shot) -> None:
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1")
    expect(page.get_by_test_id("tab-gallery")).to_contain_text("1")
    page.get_by_test_id("tab-gallery").click()
    gallery = page.get_by_test_id("gallery")
    expect(gallery).to_have_attribute("data-series", "eval/predictions")
    expect(gallery.get_by_test_id("gallery-step")).to_contain_text("step 10 · 3 of 3")
    assert shown_image_colour(page) == list(COLOURS[2])
    screenshot("run-gallery")

    slider = gallery.get_by_test_id("gallery-slider")
    slider.focus()
    slider.press("Home")  # the keyboard moves it too
    expect(gallery.get_by_test_id("gallery-step")).to_contain_text("step 0 · 1 of 3")
    expect(gallery.locator(".gallery-image")).to_have_attribute("data-name", "pred-0.png")
    assert shown_image_colour(page) == list(COLOURS[0])
    slider.press("ArrowRight")
    expect(gallery.get_by_test_id("gallery-step")).to_contain_text("step 5 · 2 of 3")
    assert shown_image_colour(page) == list(COLOURS[1])


def wait_for_option(page: Page, series: str, condition: str) -> None:
    """Wait until the chart of ``series`` has an option ``o`` for which ``condition`` holds."""
    page.wait_for_function(
        """([path, condition]) => {
            const el = document.querySelector(`[data-series="${path}"] [data-testid=chart]`);
            const o = window.__cairn.getInstanceByDom(el).getOption();
            return new Function("o", `return ${condition}`)(o);
        }""",
        arg=[series, condition],
    )


def chart_option(page: Page, series: str) -> dict[str, object]:
    option = page.evaluate(
        """(path) => {
            const el = document.querySelector(`[data-series="${path}"] [data-testid=chart]`);
            const o = window.__cairn.getInstanceByDom(el).getOption();
            return {xType: o.xAxis[0].type, series: o.series.map((s) => s.data.length),
                    first: o.series.map((s) => s.data[1])};
        }""",
        series,
    )
    assert isinstance(option, dict)
    return option


def test_chart_smoothing_and_time_axes(page: Page, media_url: str, screenshot: Shot) -> None:
    page.goto(f"{media_url}/projects/media/runs/MEDIA-1?tab=charts")
    card = page.locator("[data-series='train/loss'] [data-testid=chart]")
    expect(card).to_have_attribute("data-points", "300")
    assert chart_option(page, "train/loss")["series"] == [300]

    page.get_by_label("smoothing").fill("0.9")
    expect(page.locator(".smoothing-value")).to_have_text("0.90")
    wait_for_option(page, "train/loss", "o.series.length === 2")
    option = chart_option(page, "train/loss")
    raw, smoothed = option["first"]  # type: ignore[misc]
    assert raw[1] == pytest.approx(1 / 2 + 0.2)
    # A debiased EMA: (0.9 * 0.1 * 1.0 + 0.1 * 0.7) / (1 - 0.9**2), between the two points.
    assert smoothed[1] == pytest.approx(0.16 / 0.19)
    screenshot("run-charts-smoothed")

    page.get_by_label("x axis").select_option("wall")
    wait_for_option(page, "train/loss", "o.xAxis[0].type === 'time'")
    page.get_by_label("x axis").select_option("relative")
    wait_for_option(page, "train/loss", "o.xAxis[0].name === 'time since start'")
    assert "x=relative" in page.url and "smooth=0.9" in page.url
