"""The field officer's offline app (/field/) in a real headless Chromium on a phone-sized
screen, against its own jemput server (short access tokens, restartable: conftest's
FieldServer): the shell loads offline, attempts recorded offline survive a closed page and
reach the server exactly once, cut-off syncs and lost refresh answers are retried, the queue
survives a service-worker update and a wipe of site data (through the downloaded file), an
event approved meanwhile refuses new attempts. Each check reads what the officer sees, and
what the server stored through the API. The README's field screenshots are taken here."""

import datetime
import json
import os
import pathlib
import time

import pytest
from playwright.sync_api import expect

from conftest import ARGS, CHROMIUM, FIELD_ACCESS_TTL  # noqa: F401

SHOTS = pathlib.Path(__file__).parent / "screenshots"
STAFF = "tanahlaut.petugas1"
SUPERVISOR = "tanahlaut.supervisor"
PASSWORD = "jemput-demo-2024"
PHONE = dict(
    viewport={"width": 360, "height": 740},
    device_scale_factor=1,
    is_mobile=True,
    has_touch=True,
    locale="id-ID",
    accept_downloads=True,
)
REASONS = ["no_smartphone", "no_signal", "ektp_not_recorded", "declined"]


def shot(page, name):
    if os.environ.get("JEMPUT_SCREENSHOTS", "1") == "1":
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def nik(n):
    """A NIK the server accepts (Tanah Laut, born 12 March 1990), numbered n."""
    return f"630101120390{n:04d}"


def new_event(server, title):
    """An open event of the staff member's office, created through the API."""
    now = datetime.datetime.now(datetime.timezone.utc)
    status, body = server.api(
        "POST",
        "/events",
        {
            "channel_key": "village_visit",
            "title": title,
            "starts_at": (now - datetime.timedelta(hours=1)).isoformat(),
            "ends_at": (now + datetime.timedelta(hours=5)).isoformat(),
        },
        server.token(STAFF),
    )
    assert status == 201, body
    return body["id"]


def stored(server, event_id):
    """The event's activations as the server lists them to its creator."""
    status, body = server.api("GET", f"/events/{event_id}/activations?limit=500", token=server.token(STAFF))
    assert status == 200, body
    return body["items"]


class Phone:
    """A browser context on a 360 px phone, with the field app open in one or more pages."""

    def __init__(self, browser, server):
        self.server = server
        self.context = browser.new_context(**PHONE)
        self.problems = []
        self.page = self.open()

    def open(self):
        page = self.context.new_page()
        # Failed fetches are the point of these tests (no signal); script errors and CSP
        # violations are not.
        page.on(
            "console",
            lambda m: self.problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None,
        )
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        page.goto(self.server.url + "/field/")
        page.wait_for_selector("html[data-ready='1']")
        return page

    def sign_in(self, page=None):
        page = page or self.page
        page.fill("#login-form input[name=username]", STAFF)
        page.fill("#login-form input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#work", state="visible")
        # The worker controls the page (the shell is cached) before anything goes offline.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    def choose(self, event_id, page=None):
        page = page or self.page
        page.wait_for_selector(f"#event-select option[value='{event_id}']", state="attached", timeout=20000)
        page.select_option("#event-select", event_id)

    def record(self, outcome, reason=None, nik=None, age_band=None, sex=None, page=None, online=False):
        """Records one attempt; offline, the counter must rise by one (online the app may
        already have sent it)."""
        page = page or self.page
        before = self.pending(page)
        page.evaluate("() => { document.querySelector('#attempt-saved').textContent = ''; }")
        page.check(f"#attempt-form input[name=outcome][value={outcome}]")
        if reason:
            page.select_option("#attempt-form select[name=failure_reason]", reason)
        if age_band:
            page.select_option("#attempt-form select[name=age_band]", age_band)
        if sex:
            page.check(f"#attempt-form input[name=sex][value={sex}]")
        if nik:
            page.fill("#attempt-form input[name=nik]", nik)
        page.click("#attempt-form button:text-is('Simpan')")
        expect(page.locator("#attempt-saved")).to_have_text("Tersimpan di ponsel.")
        if not online:
            page.wait_for_function(
                f"() => document.querySelector('#pending-count').textContent === '{before + 1}'"
            )

    def pending(self, page=None):
        return int((page or self.page).inner_text("#pending-count"))

    def wait_pending(self, n, page=None, timeout=30000):
        (page or self.page).wait_for_function(
            f"() => document.querySelector('#pending-count').textContent === '{n}'", timeout=timeout
        )

    def queued_ids(self, page=None):
        return (page or self.page).evaluate(
            """() => new Promise((ok, no) => {
                 const r = indexedDB.open('jemput-field');
                 r.onsuccess = () => {
                   const q = r.result.transaction('queue').objectStore('queue').getAll();
                   q.onsuccess = () => ok(q.result.map((i) => i.id));
                   q.onerror = () => no(q.error);
                 };
               })"""
        )

    def wait_queue_empty(self, page=None, timeout=45):
        """Until every record left the phone (acknowledged by the server)."""
        end = time.monotonic() + timeout
        while self.queued_ids(page):
            assert time.monotonic() < end, "the queue did not empty"
            time.sleep(0.3)

    def no_horizontal_scroll(self, page=None):
        page = page or self.page
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width} px wide at 360 px"

    def close(self):
        self.context.close()


@pytest.fixture
def phone(browser, field_server):
    p = Phone(browser, field_server)
    yield p
    p.close()


def test_offline_thirty_attempts_survive_a_closed_page_and_reach_the_server_once(phone, field_server):
    event = new_event(field_server, "Tilik Desa Tambang Ulang")
    page = phone.page
    shot(page, "field-login-phone")
    phone.no_horizontal_scroll()
    phone.sign_in()
    phone.choose(event)

    # No signal, and the page reloads: the app comes from the worker's cache, signed in.
    phone.context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready='1']")
    expect(page.locator("#net")).to_have_text("Luring")
    assert page.is_visible("#attempt-form")
    phone.choose(event)

    # A NIK the phone refuses, as the server would: nothing is queued.
    page.check("#attempt-form input[name=outcome][value=activated]")
    page.fill("#attempt-form input[name=nik]", "6301013002900001")  # 30 February
    page.click("#attempt-form button:text-is('Simpan')")
    expect(page.locator("#attempt-error")).to_contain_text("NIK harus 16 angka")
    assert phone.pending() == 0
    page.fill("#attempt-form input[name=nik]", "")

    # 30 attempts: every third failed with a reason, some with NIKs, one citizen twice.
    for i in range(30):
        if i % 3 == 2:
            phone.record("failed", reason=REASONS[i % len(REASONS)], age_band="60+")
        else:
            repeat = nik(0) if i == 10 else nik(i) if i % 2 == 0 else None
            phone.record("activated", nik=repeat, age_band="25-39", sex="female" if i % 4 else "male")
    assert phone.pending() == 30
    ids = sorted(phone.queued_ids())
    assert len(ids) == 30 and all(i[14] == "7" for i in ids), ids  # UUIDv7
    phone.no_horizontal_scroll()

    # The page is closed and opened again, still offline: all 30 wait.
    page.close()
    page = phone.page = phone.open()
    phone.wait_pending(30)
    shot(page, "field-queue-phone")

    # Signal again: all 30 go, the counter falls to 0, the server holds each once.
    phone.context.set_offline(False)
    phone.wait_pending(0)
    items = stored(field_server, event)
    assert sorted(a["id"] for a in items) == ids
    assert sum(a["outcome"] == "failed" for a in items) == 10
    assert all(a["failure_reason"] for a in items if a["outcome"] == "failed")
    assert sum(a["repeat_citizen"] for a in items) == 1
    assert not any("nik" in a for a in items)
    # The NIKs left the phone with their acknowledged records.
    assert phone.queued_ids() == []
    assert page.is_hidden("#problems")
    assert phone.problems == [], phone.problems


def test_a_sync_cut_off_midway_is_retried_and_stores_each_once(phone, field_server):
    event = new_event(field_server, "Stan Pasar Pelaihari")
    page = phone.page
    phone.sign_in()
    phone.choose(event)
    phone.context.set_offline(True)
    for i in range(12):
        phone.record("activated" if i % 4 else "failed", reason="no_signal" if i % 4 == 0 else None)
    # Staff hours offline too (the event's creator, while it is open).
    page.fill("#hours-form input[name=hours]", "3.5")
    page.click("#hours-form button:text-is('Simpan jam')")
    phone.wait_pending(13)

    # The first sync reaches the server, which stores the batch, but the answer is lost.
    cut = []

    def lose_answer(route):
        if not cut:
            route.fetch()  # the server commits...
            cut.append(route.request.url)
            route.abort("connectionreset")  # ...and the phone never hears it
        else:
            route.continue_()

    phone.context.route("**/api/v1/sync/activations", lose_answer)
    phone.context.set_offline(False)
    # The backoff retries by itself; the second answer says `duplicate` for all 12.
    phone.wait_pending(0, timeout=45000)
    assert cut, "the sync request was cut"
    items = stored(field_server, event)
    assert len(items) == 12 and len({a["id"] for a in items}) == 12
    status, staff = field_server.api("GET", f"/events/{event}/staff", token=field_server.token(STAFF))
    assert status == 200, staff
    rows = staff["items"] if isinstance(staff, dict) else staff
    assert [r["hours"] for r in rows] == [3.5], rows


def test_a_record_saved_while_another_sync_runs_still_leaves_the_phone(phone, field_server):
    event = new_event(field_server, "Stan Kantor Kecamatan Bati-Bati")
    page = phone.page
    phone.sign_in()
    phone.choose(event)
    phone.wait_queue_empty()
    # Another tab's sync holds the lock for 3 s: the save's own sync finds it taken.
    page.evaluate(
        """() => { navigator.locks.request('field-sync', () => new Promise((r) => setTimeout(r, 3000))); }"""
    )
    phone.record("activated", nik=nik(300), online=True)
    # Nothing else happens (no save, no reconnect, no tap): the record still goes.
    phone.wait_queue_empty(timeout=20)
    assert len(stored(field_server, event)) == 1


def test_expired_token_and_a_lost_refresh_answer_need_no_password(phone, field_server):
    event = new_event(field_server, "Sosialisasi Kecamatan Bati-Bati")
    page = phone.page
    phone.sign_in()
    phone.choose(event)
    phone.context.set_offline(True)
    phone.record("activated")
    refreshes = []
    phone.context.on(
        "request", lambda r: refreshes.append(r.url) if r.url.endswith("/auth/refresh") else None
    )
    # The access token expires while the phone has no signal.
    time.sleep(FIELD_ACCESS_TTL + 2)
    phone.context.set_offline(False)
    phone.wait_pending(0)
    assert refreshes, "the app refreshed its token"
    assert page.is_hidden("#login")

    # It expires again, and this time the refresh answer is lost after the server spent
    # the token: the retry presents the spent token and gets the same new pair (grace).
    phone.context.set_offline(True)
    phone.record("failed", reason="declined")
    time.sleep(FIELD_ACCESS_TTL + 2)
    lost = []

    def lose_refresh(route):
        if not lost:
            route.fetch()
            lost.append(1)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.context.route("**/api/v1/auth/refresh", lose_refresh)
    refreshes.clear()
    phone.context.set_offline(False)
    phone.wait_pending(0, timeout=45000)
    assert lost and len(refreshes) >= 2, refreshes
    assert page.is_hidden("#login")
    assert len(stored(field_server, event)) == 2


def test_two_tabs_refreshing_at_once_stay_signed_in(phone, field_server):
    event = new_event(field_server, "Kunjungan PKK Panyipatan")
    first = phone.page
    phone.sign_in()
    second = phone.open()
    second.wait_for_selector("#work", state="visible")
    for page in (first, second):
        phone.choose(event, page)
    phone.context.set_offline(True)
    phone.record("activated", page=first)
    phone.record("activated", page=second)
    time.sleep(FIELD_ACCESS_TTL + 2)
    phone.context.set_offline(False)
    # Both tabs want to send at once, both with an expired token.
    first.evaluate("document.querySelector('#sync-now').click()")
    second.evaluate("document.querySelector('#sync-now').click()")
    for page in (first, second):
        phone.wait_pending(0, page)
    # Still signed in: another round trip with the tokens on the phone works.
    time.sleep(FIELD_ACCESS_TTL + 2)
    phone.record("activated", page=second, online=True)
    second.click("#sync-now")
    phone.wait_queue_empty(second)
    for page in (first, second):
        phone.wait_pending(0, page)
        assert page.is_hidden("#login")
        assert "Masuk lagi" not in page.inner_text("#sync-status")
    assert len(stored(field_server, event)) == 3


def test_the_queue_survives_a_service_worker_update(phone, field_server):
    event = new_event(field_server, "Stan Expo Ramadhan")
    page = phone.page
    phone.sign_in()
    phone.choose(event)
    old_version = page.inner_text("#version")
    phone.context.set_offline(True)
    for _ in range(3):
        phone.record("activated")

    # A new release of the app, while the API stays out of reach (the queue must wait).
    field_server.restart(release="update-test")
    phone.context.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    phone.context.set_offline(False)
    page.reload()
    page.wait_for_selector("#update", state="visible", timeout=20000)
    assert phone.pending() == 3
    shot(page, "field-update-phone")
    page.click("#update-apply")
    page.wait_for_function(
        f"() => document.querySelector('#version').textContent !== '{old_version}'", timeout=20000
    )
    page.wait_for_selector("html[data-ready='1']")
    assert page.inner_text("#version").endswith("-update-test")
    phone.wait_pending(3)

    phone.context.unroute("**/api/v1/**")
    page.click("#sync-now")
    phone.wait_pending(0, timeout=45000)
    assert len(stored(field_server, event)) == 3


def test_wiped_site_data_is_caught_by_the_banner_and_the_downloaded_file(phone, field_server, tmp_path):
    event = new_event(field_server, "Layanan Desa Kurau")
    page = phone.page
    phone.sign_in()
    phone.choose(event)
    phone.context.set_offline(True)
    for i in range(4):
        phone.record("activated", nik=nik(100 + i))
    # The browser did not grant persistent storage: the banner stands, with the count.
    banner = page.locator("#storage-banner")
    banner.wait_for(state="visible")
    assert "4 catatan belum terkirim" in banner.inner_text()
    shot(page, "field-storage-banner-phone")
    with page.expect_download() as d:
        banner.locator("button:text-is('Unduh data tertunda')").click()
    saved = tmp_path / "pending.json"
    d.value.save_as(saved)
    body = json.loads(saved.read_text())
    assert len(body["items"]) == 4 and {i["event_id"] for i in body["items"]} == {event}

    # The officer (or a cleaner app) wipes the site's data.
    phone.context.set_offline(False)
    cdp = phone.context.new_cdp_session(page)
    cdp.send("Storage.clearDataForOrigin", {"origin": field_server.url, "storageTypes": "all"})
    page.reload()
    page.wait_for_selector("#login", state="visible")
    assert phone.pending() == 0

    # Signed in again, the file goes back into the queue and reaches the server once.
    phone.sign_in()
    page.set_input_files("#import", str(saved))
    expect(page.locator("#tools-msg")).to_contain_text("4 percobaan dimuat")
    phone.wait_queue_empty()
    assert len(stored(field_server, event)) == 4
    # The same file again (sent twice, as a supervisor might): nothing counted twice.
    page.evaluate("() => { document.querySelector('#tools-msg').textContent = ''; }")
    page.set_input_files("#import", str(saved))
    expect(page.locator("#tools-msg")).to_contain_text("4 percobaan dimuat")
    phone.wait_queue_empty()
    phone.wait_pending(0)
    assert len(stored(field_server, event)) == 4


def test_an_event_approved_while_offline_refuses_new_attempts(phone, field_server):
    approved = new_event(field_server, "Bela Desa Jorong")
    returned = new_event(field_server, "Turdes Takisung")
    page = phone.page
    phone.sign_in()
    phone.choose(returned)
    phone.choose(approved)
    phone.context.set_offline(True)
    phone.record("activated")

    # Meanwhile, at the office: one report approved, another returned with a comment.
    staff, boss = field_server.token(STAFF), field_server.token(SUPERVISOR)
    for e in (approved, returned):
        assert field_server.api("POST", f"/events/{e}/submit", {}, staff)[0] == 200
    assert field_server.api("POST", f"/events/{approved}/approve", {}, boss)[0] == 200
    status, _ = field_server.api("POST", f"/events/{returned}/return", {"comment": "Tambahkan biaya"}, boss)
    assert status == 200

    phone.context.set_offline(False)
    page.click("#sync-now")
    problem = page.locator("#problem-list li").first
    problem.wait_for(state="visible", timeout=30000)
    # The server's own Indonesian words, and what to do.
    expect(problem).to_contain_text("Kegiatan sudah disetujui; tidak menerima aktivasi baru.")
    expect(problem).to_contain_text("Minta supervisor mengembalikan laporan kegiatan")
    blocked = page.locator("#attempt-blocked")
    blocked.wait_for(state="visible")
    assert "sudah disetujui" in blocked.inner_text()
    expect(page.locator("#attempt-form button:text-is('Simpan')")).to_be_disabled()
    assert phone.pending() == 0 and stored(field_server, approved) == []
    shot(page, "field-approved-phone")
    phone.no_horizontal_scroll()

    phone.choose(returned)
    # The panel is redrawn after the choice is read back from the phone's storage: wait for it.
    expect(page.locator("#event-info")).to_contain_text("Catatan supervisor: Tambahkan biaya")
    expect(page.locator("#attempt-form button:text-is('Simpan')")).to_be_enabled()


def test_first_load_is_small_and_stays_on_the_origin(browser, field_server):
    context = browser.new_context(**PHONE)
    sizes, away = {}, []

    def seen(response):
        if response.url.startswith(field_server.url + "/"):
            sizes[response.url] = len(response.body())
        else:
            away.append(response.url)

    page = context.new_page()
    page.on("response", seen)
    page.goto(field_server.url + "/field/")
    page.wait_for_selector("html[data-ready='1']")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    assert away == []
    total = sum(sizes.values())
    assert total < 150_000, sizes
    manifest = page.evaluate("fetch('manifest.webmanifest').then((r) => r.json())")
    assert manifest["scope"] == "/field/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    context.close()
