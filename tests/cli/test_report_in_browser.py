"""`run --report` writes one self-contained HTML page that a real headless browser (Debian's
chromium, driven by Playwright) renders with no console error, no request beyond the file
itself, every chart loaded and the headline KPIs visible."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Request, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default week's report, written by `python main.py run --report` beside its result
    (in a process of its own: Playwright's sync API holds this thread's event loop)."""
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(
        [sys.executable, "main.py", "run", "--out", str(out), "--report"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [path] = out.glob("*/report.html")
    assert f"report: {path}" in done.stdout
    return path


def test_report_renders_its_kpis_with_no_error_and_no_request(
    browser: Browser, report: Path, tmp_path: Path
) -> None:
    kpis = json.loads((report.parent / "result.json").read_bytes())["metadata"]["kpis"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: _record_error(m, problems))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    fetched: list[str] = []
    page.on("request", lambda r: _record_fetch(r, report, fetched))

    page.goto(report.as_uri(), wait_until="load")
    screenshot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

    assert problems == []
    assert fetched == []  # self-contained: nothing but the file itself is loaded
    feasible = page.locator("[data-kpi='feasible'] .value")
    assert feasible.is_visible()
    stranded = f"no: {kpis['stranded_trips']} stranded trips"
    assert feasible.inner_text() == ("yes" if kpis["feasible"] else stranded)
    cost = page.locator("[data-kpi='charging_cost'] .value")
    assert cost.is_visible()
    assert cost.inner_text() == f"{kpis['charging_cost']:,.2f} {kpis['currency']}"
    for site, site_kpis in kpis["sites"].items():
        peak = page.locator(f"[data-kpi='peak_{site}'] .value")
        assert peak.is_visible()
        assert peak.inner_text().startswith(f"{site_kpis['peak_kw']:,.0f} kW")
    widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
    assert len(widths) == 3 and all(width > 500 for width in widths)
    assert page.locator("h2", has_text="Chargers").is_visible()
    assert screenshot[:8] == b"\x89PNG\r\n\x1a\n"


def _record_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type in ("error", "warning"):
        problems.append(f"console {message.type}: {message.text}")


def _record_fetch(request: Request, report: Path, fetched: list[str]) -> None:
    if request.url != report.as_uri() and not request.url.startswith("data:"):
        fetched.append(request.url)
