"""The dashboard's views in Chromium against ``cairn ui`` over a store the client filled
(seed.py: VISION-1..4, 1,200 points per series, and the project "empty")."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.browser.seed import POINTS

pytestmark = pytest.mark.slow

Shot = Callable[[str], None]


def shown_runs(page: Page) -> list[str]:
    """The run keys the table shows, top to bottom."""
    rows = page.locator(".runs-row[data-run]")
    keys = [rows.nth(i).get_attribute("data-run") for i in range(rows.count())]
    return [k for k in keys if k]


def open_runs(page: Page, url: str, count: int = 4) -> None:
    page.goto(url)
    expect(page.get_by_test_id("runs-view")).to_be_visible()
    expect(page.locator(".runs-row[data-run]")).to_have_count(count)


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_projects_page_lists_projects_and_shows_how_to_log_a_run(
    page: Page, dashboard_url: str, screenshot: Shot
) -> None:
    page.goto(dashboard_url)
    view = page.get_by_test_id("projects-view")
    expect(view).to_be_visible()
    row = view.locator("tr[data-project=vision]")
    expect(row).to_contain_text("4")
    expect(row).to_contain_text("just now")  # last activity
    screenshot("projects")

    view.locator("tr[data-project=empty] a").click()
    first_run = page.get_by_test_id("first-run")
    expect(first_run).to_contain_text('cairn.init(project="empty"')
    expect(first_run).to_contain_text('run["train/loss"].log(0.5)')
    assert page.url == f"{dashboard_url}/projects/empty"
    screenshot("project-without-runs")


def test_runs_table_shows_default_columns(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    assert shown_runs(page) == ["VISION-4", "VISION-3", "VISION-2", "VISION-1"]
    headers = page.locator(".runs-header [data-column]")
    columns = [headers.nth(i).get_attribute("data-column") for i in range(headers.count())]
    assert columns[:6] == [
        "sys/id", "sys/name", "sys/status", "sys/created_at", "sys/owner", "sys/tags"
    ]
    assert "val/loss" in columns and "train/loss" in columns  # main metrics
    row = page.locator(".runs-row[data-run=VISION-2]")
    expect(row.locator("[data-column='sys/name']")).to_have_text("small-lr")
    expect(row.locator("[data-column='sys/tags']")).to_contain_text("best")
    expect(page.get_by_test_id("run-total")).to_have_text("4 runs")
    screenshot("runs-table")


def test_filter_and_its_syntax_error(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    box = page.get_by_test_id("filter-input")
    box.fill("parameters/lr < 0.05")
    box.press("Enter")
    expect(page.get_by_test_id("run-total")).to_have_text("2 runs match")
    assert sorted(shown_runs(page)) == ["VISION-2", "VISION-3"]
    assert query_of(page)["filter"] == ["parameters/lr < 0.05"]

    box.fill("parameters/lr < and")
    box.press("Enter")
    error = page.get_by_test_id("filter-error")
    expect(error).to_contain_text("expected a value after '<', got 'and' at position 16")
    # The caret points at the offending word, under the text as typed.
    assert error.locator(".caret-line").inner_text() == "parameters/lr < and\n" + " " * 16 + "^"
    screenshot("runs-filter-error")

    # With a quick filter around it, the position still counts in the typed text.
    page.get_by_test_id("status-chip-finished").click()
    expect(error).to_contain_text("at position 16")


def test_quick_filter_by_status(page: Page, dashboard_url: str) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    page.get_by_test_id("status-chip-failed").click()
    expect(page.get_by_test_id("run-total")).to_have_text("1 run match")
    assert shown_runs(page) == ["VISION-4"]
    assert query_of(page)["status"] == ["failed"]


def test_filter_completes_paths(page: Page, dashboard_url: str) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    box = page.get_by_test_id("filter-input")
    box.click()
    box.press_sequentially("parameters/optimizer/n")
    suggestions = page.get_by_test_id("filter-suggestions")
    expect(suggestions).to_contain_text("parameters/optimizer/name")
    box.press("Tab")
    expect(box).to_have_value("parameters/optimizer/name")
    box.press_sequentially(" = 'adam'")
    box.press("Enter")
    expect(page.get_by_test_id("run-total")).to_have_text("2 runs match")


def test_sort_by_clicking_a_header(page: Page, dashboard_url: str) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    header = page.locator(".runs-header [data-column='sys/name']")
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(".runs-row[data-run]").first).to_have_attribute("data-run", "VISION-1")
    assert shown_runs(page) == ["VISION-1", "VISION-4", "VISION-2", "VISION-3"]  # by name
    assert query_of(page)["sort"] == ["sys/name"]
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator(".runs-row[data-run]").first).to_have_attribute("data-run", "VISION-3")
    assert query_of(page)["sort"] == ["-sys/name"]


def test_choose_columns_and_select_runs(page: Page, dashboard_url: str) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    page.get_by_test_id("columns-button").click()
    popover = page.get_by_test_id("columns-popover")
    popover.get_by_role("searchbox").fill("parameters/lr")
    popover.get_by_label("parameters/lr").check()
    cell = page.locator(".runs-row[data-run=VISION-3] [data-column='parameters/lr']")
    expect(cell).to_have_text("0.001")
    assert query_of(page)["cols"][0].endswith(",parameters/lr")

    page.get_by_label("Select VISION-1").check()
    page.get_by_label("Select VISION-3").check()
    expect(page.get_by_test_id("selection")).to_contain_text("2 selected")
    assert query_of(page)["sel"] == ["VISION-1,VISION-3"]


def test_a_copied_address_opens_the_same_view(
    page: Page, dashboard_url: str, browser: Browser
) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    box = page.get_by_test_id("filter-input")
    box.fill("tags has 'mlp' or tags has 'best'")
    box.press("Enter")
    expect(page.get_by_test_id("run-total")).to_have_text("3 runs match")
    page.locator(".runs-header [data-column='train/loss']").click()
    expect(page.locator(".runs-header [data-column='train/loss']")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_label("Select VISION-2").check()
    expect(page.get_by_test_id("selection")).to_contain_text("1 selected")
    expected = shown_runs(page)
    copied = page.url

    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        fresh = other.new_page()
        open_runs(fresh, copied, count=3)
        expect(fresh.get_by_test_id("run-total")).to_have_text("3 runs match")
        assert shown_runs(fresh) == expected
        expect(fresh.get_by_test_id("filter-input")).to_have_value(
            "tags has 'mlp' or tags has 'best'"
        )
        expect(fresh.get_by_label("Select VISION-2")).to_be_checked()
        expect(fresh.locator(".runs-header [data-column='train/loss']")).to_have_attribute(
            "aria-sort", "ascending"
        )
    finally:
        other.close()

    # A run page's address too: the tab and the chart settings come back.
    page.goto(f"{dashboard_url}/projects/vision/runs/VISION-2?tab=charts&log=1")
    expect(page.get_by_label("log scale")).to_be_checked()
    expect(page.get_by_test_id("tab-charts")).to_have_attribute("aria-selected", "true")


def chart_points(page: Page, series: str) -> int:
    """How many points the ECharts instance of a series' chart holds (its option)."""
    count = page.evaluate(
        """(path) => {
            const el = document.querySelector(`[data-series="${path}"] [data-testid=chart]`);
            const chart = window.__cairn.getInstanceByDom(el);
            return chart.getOption().series[0].data.filter((p) => p[1] !== null).length;
        }""",
        series,
    )
    assert isinstance(count, int)
    return count


def test_run_page_overview_and_charts(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    page.locator(".runs-row[data-run=VISION-1] [data-column='sys/id'] a").click()
    overview = page.get_by_test_id("overview")
    expect(overview).to_contain_text("finished")
    # The command line (source/command/*: the test's own process filled the store) and git.
    expect(overview.locator("dd").filter(has_text="python")).to_be_visible()
    fields = httpx.get(f"{dashboard_url}/api/v1/runs/VISION-1/fields").json()["fields"]
    if "source/git/commit" in fields:  # a checkout without git has none
        expect(overview).to_contain_text(fields["source/git/commit"][:12])
    expect(overview).to_contain_text("The baseline run of the sweep.")  # Markdown, rendered
    expect(overview.get_by_test_id("markdown").locator("strong")).to_have_text("baseline")
    expect(overview.locator("dd").filter(has_text="cnn")).to_be_visible()
    screenshot("run-overview")

    page.get_by_test_id("tab-charts").click()
    charts = page.get_by_test_id("charts")
    for path in ("train/loss", "train/acc", "val/loss"):
        expect(charts.locator(f"[data-series='{path}'] canvas")).to_have_count(1)
    expect(charts.locator("[data-series='train/loss'] [data-testid=chart]")).to_have_attribute(
        "data-points", str(POINTS)
    )
    assert chart_points(page, "train/loss") == POINTS
    assert chart_points(page, "val/loss") == 12
    expect(charts.locator("[data-series^='monitoring/']")).to_have_count(0)
    screenshot("run-charts")
    page.emulate_media(color_scheme="dark")  # the dark mode follows the system
    page.reload()
    expect(charts.locator("[data-series='train/loss'] canvas")).to_have_count(1)
    background = page.evaluate("getComputedStyle(document.body.parentElement).backgroundColor")
    assert background == "rgb(18, 21, 27)"
    screenshot("run-charts-dark")
    page.emulate_media(color_scheme="light")
    page.reload()

    page.get_by_label("log scale").check()
    assert query_of(page)["log"] == ["1"]
    option_type = page.evaluate(
        """() => window.__cairn.getInstanceByDom(
            document.querySelector('[data-series="train/acc"] [data-testid=chart]')
        ).getOption().yAxis[0].type"""
    )
    assert option_type == "log"

    page.get_by_test_id("tab-monitoring").click()
    expect(page.locator("[data-series='monitoring/cpu/percent'] canvas")).to_have_count(1)
    assert chart_points(page, "monitoring/cpu/percent") == 12
    screenshot("run-monitoring")


def test_run_page_console_fields_and_files(
    page: Page, dashboard_url: str, screenshot: Shot
) -> None:
    page.goto(f"{dashboard_url}/projects/vision/runs/VISION-2?tab=console")
    console = page.get_by_test_id("console")
    expect(console).to_contain_text("step 0: loss")
    expect(console.locator(".stderr")).to_contain_text("a made-up warning")
    screenshot("run-console")

    page.get_by_test_id("tab-fields").click()
    tree = page.get_by_test_id("field-tree")
    tree.get_by_role("searchbox").fill("optimizer")
    expect(tree.locator("[data-path='parameters/optimizer/name']")).to_contain_text("adam")
    expect(tree.locator("[data-path='parameters/lr']")).to_have_count(0)
    screenshot("run-fields")

    page.get_by_test_id("tab-files").click()
    files = page.get_by_test_id("files")
    expect(files).to_contain_text("notes-1.txt")
    with page.expect_download() as download:
        files.get_by_role("link", name="Download").first.click()
    path = download.value.path()
    assert path.read_text() == "notes of small-lr\n"
    screenshot("run-files")


def test_api_errors_read_as_messages(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    page.goto(f"{dashboard_url}/projects/vision/runs/VISION-999")
    error = page.get_by_test_id("api-error")
    expect(error).to_contain_text("Error 404")
    expect(error).to_contain_text("run_not_found")
    expect(page.locator(".spinner")).to_have_count(0)
    screenshot("run-not-found")

    page.goto(f"{dashboard_url}/no/such/view")
    expect(page.locator(".empty-state")).to_contain_text("no page at")


def test_a_server_with_tokens_asks_for_one(
    page: Page, auth_dashboard: tuple[str, str], screenshot: Shot
) -> None:
    url, token = auth_dashboard
    page.goto(url)
    error = page.get_by_test_id("api-error")
    expect(error).to_contain_text("Error 401")
    screenshot("sign-in")
    error.get_by_label("Access token").fill(token)
    error.get_by_role("button", name="Use token").click()
    expect(page.locator("tr[data-project=private]")).to_contain_text("1")

    page.goto(f"{url}/projects/private/runs/PRIVATE-1?tab=files")  # the token stays
    with page.expect_download() as download:
        page.get_by_test_id("files").get_by_role("link", name="Download").click()
    assert download.value.path().read_bytes() == b"weights"
