"""The supervisor's web app in a real headless Chromium, over the demo data: sign in through
the form, read the channel figures, approve and return event reports, download an XLSX and
open it, stay on the origin, and fit a 360 px phone. The README's screenshots are taken
here (tests/browser/screenshots/)."""

import os
import pathlib

import openpyxl

SHOTS = pathlib.Path(__file__).parent / "screenshots"
USER = "tanahlaut.supervisor"
PASSWORD = "jemput-demo-2024"
RAMADAN = "from=2024-03-11&to=2024-04-09"
YEAR_2024 = "from=2024-01-01&to=2024-12-31&year=2024&as_of=2024-12-31"


def shot(page, name):
    if os.environ.get("JEMPUT_SCREENSHOTS", "1") == "1":
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(w, next_path="/app/"):
    page = w.page
    page.goto(f"{w.base_url}{next_path}")
    # Not signed in: the form, which brings us back where we were going.
    assert "/app/login" in page.url
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/app/login" not in page.url, page.content()


def row_cells(page, first_cell):
    """The cells of the table row whose first cell reads `first_cell`."""
    row = page.locator("table tbody tr", has=page.locator(f"td:text-is('{first_cell}')")).first
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_sign_in_and_read_the_channel_figures(desktop):
    sign_in(desktop, f"/app/reports/channels?{RAMADAN}")
    page = desktop.page
    assert page.locator("h1").inner_text() == "Perbandingan kanal"
    cells = row_cells(page, "Stan pameran (expo)")
    # Channel, events, activations, failed, success, median, hours, per hour, cost, reason.
    assert cells[1] == "21", cells
    assert cells[2] == "54", cells
    assert cells[8] == "Rp 58.333", cells
    assert cells[9] == "Tidak punya ponsel Android", cells
    assert page.locator("svg[role=img] title").first.text_content().startswith("Aktivasi per jam petugas")
    shot(page, "channels-desktop")
    page.goto(f"{desktop.base_url}/app/?{YEAR_2024}")
    assert "dari" in page.locator("#progress").inner_text()
    shot(page, "overview-desktop")
    desktop.check_stayed_home()


def test_download_the_channel_report_as_xlsx_and_open_it(desktop, tmp_path):
    sign_in(desktop, f"/app/reports/channels?{RAMADAN}")
    page = desktop.page
    with page.expect_download() as d:
        page.click("text=Unduh XLSX")
    path = tmp_path / "channels.xlsx"
    d.value.save_as(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Kanal"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Kanal", "Kegiatan", "Aktivasi"], header
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    expo = rows["Stan pameran (expo)"]
    assert expo[1].value == 21 and expo[2].value == 54
    cost = expo[header.index("Biaya per aktivasi")]
    # Full precision in the cell, rounded only by its display format.
    assert abs(cost.value - 21 * 150_000 / 54) < 1e-6, cost.value
    assert "Rp" in cost.number_format, cost.number_format
    assert isinstance(expo[header.index("Tingkat keberhasilan")].value, float)
    desktop.check_stayed_home()


def test_approve_and_return_event_reports(desktop):
    sign_in(desktop, "/app/events?status=submitted")
    page = desktop.page
    links = page.locator("table tbody a")
    assert links.count() >= 2
    first = links.nth(0).get_attribute("href")
    second = links.nth(1).get_attribute("href")

    page.goto(desktop.base_url + first)
    assert page.locator("#status").inner_text() == "Menunggu tinjauan"
    shot(page, "event-review-desktop")
    page.click("button:text-is('Setujui')")
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Disetujui"
    assert "disetujui" in page.locator(".notice").inner_text()
    assert page.locator("button:text-is('Setujui')").count() == 0

    page.goto(desktop.base_url + second)
    page.fill("textarea[name=comment]", "Jam petugas belum diisi, mohon dilengkapi.")
    page.click("button:text-is('Kembalikan')")
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Dikembalikan"
    assert "Jam petugas belum diisi" in page.locator(".alert").inner_text()
    desktop.check_stayed_home()


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    view = page.evaluate("document.documentElement.clientWidth")
    assert width <= view, f"{page.url}: {width}px wide in a {view}px view"


def test_every_page_fits_a_360_px_phone(phone):
    sign_in(phone, f"/app/?{YEAR_2024}")
    page = phone.page
    no_horizontal_scroll(page)
    shot(page, "overview-phone")
    page.goto(f"{phone.base_url}/app/reports/channels?{RAMADAN}")
    no_horizontal_scroll(page)
    shot(page, "channels-phone")
    for path in [
        "/app/reports/progress?year=2024&as_of=2024-12-31",
        f"/app/reports/daily?{RAMADAN}",
        f"/app/reports/failures?{RAMADAN}",
        f"/app/reports/staff?{RAMADAN}",
        f"/app/reports/offices?{RAMADAN}",
        f"/app/reports/coverage?{RAMADAN}",
        "/app/events",
    ]:
        page.goto(phone.base_url + path)
        assert page.locator("h1").count() == 1
        no_horizontal_scroll(page)
    page.goto(f"{phone.base_url}/app/events?status=submitted")
    href = page.locator("table tbody a").first.get_attribute("href")
    page.goto(phone.base_url + href)
    no_horizontal_scroll(page)
    shot(page, "event-review-phone")
    phone.check_stayed_home()
