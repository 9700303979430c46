"""/inspect, the phone page of an inspection: the checklists as the page's data, the sign-in it needs, and
in Chromium with a phone's viewport and position: a draft that survives a reload and a lost connection,
sent once when the phone is back online, and a send whose answer was lost never recorded twice."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from PIL import Image
from shapely.geometry import Point

from browser_fixtures import LiveServer, RecordedPage, chromium  # noqa: F401  (fixture)
from conftest import COMMUNITY, X0, Y0, to_lonlat

pytestmark = pytest.mark.db
PASSWORD = "巡查 correct horse"
PHONE = (390, 844)
G1 = f"{COMMUNITY}001"
SPOT = to_lonlat(Point(X0 + 100, Y0 + 225))   # inside grid 001


@pytest.fixture
def city(loaded, tmp_path):
    """The tiny city with an editor and a viewer who sign in, and a calendar for this year and the next.

    The page stamps an inspection with the phone's real clock, so its deadlines may fall in a year
    that the installed chinese-calendar does not know yet: the override file names both years.
    """
    from gis_app.users import create_user
    engine = loaded.extensions["sanigrid.engine"]
    create_user(engine, "李巡查", PASSWORD, "editor")
    create_user(engine, "赵查看", PASSWORD, "viewer")
    create_user(engine, "钱核查", PASSWORD, "editor")
    year = dt.date.today().year
    calendar = tmp_path / "calendar.json"
    calendar.write_text(json.dumps({str(y): {"holidays": [], "workdays": []} for y in (year, year + 1)}))
    loaded.config["SANIGRID_CALENDAR_FILE"] = str(calendar)
    return loaded


def _page_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="sg-inspect-data" nonce="[^"]+">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def _sign_in(client, name):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)


def test_the_page_carries_every_kinds_current_checklist_in_the_pages_language(city):
    from gis_app import case_rules
    client = city.test_client()
    _sign_in(client, "李巡查")
    zh = client.get("/inspect")
    assert zh.status_code == 200 and "现场检查" in zh.get_data(as_text=True)
    data = _page_data(zh.get_data(as_text=True))
    assert [c["kind"] for c in data["checklists"]] == ["daily", "weekly", "monthly", "unannounced"]
    daily = case_rules.checklist(city.config, "daily")
    shown = data["checklists"][0]
    assert shown["version"] == daily.version and [i["key"] for i in shown["items"]] == [i["key"] for i in daily.items]
    assert shown["items"][0]["shown"] == daily.items[0]["label"] and shown["label"] == "日查"
    assert data["inspector"] == "李巡查" and data["text"]["send"] == "提交检查"
    assert 'id="sg-inspect" class="sg-inspect" novalidate>' in zh.get_data(as_text=True)   # not hidden
    en = _page_data(client.get("/inspect?lang=en").get_data(as_text=True))
    assert en["checklists"][0]["items"][0]["shown"] == daily.items[0]["label_en"]
    assert en["checklists"][0]["label"] == "Daily round" and en["text"]["send"] == "Send the inspection"


@pytest.mark.parametrize("who", [None, "赵查看"], ids=["anonymous", "viewer"])
def test_who_may_not_record_is_shown_the_sign_in_and_no_form(city, who):
    client = city.test_client()
    if who:
        _sign_in(client, who)
    html = client.get("/inspect").get_data(as_text=True)
    assert 'id="sg-inspect-signin"' in html and "/login?next=/inspect" in html
    assert re.search(r'<form id="sg-inspect"[^>]* hidden>', html)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


def _stored(engine):
    from sqlalchemy import select
    from gis_app.storage import session_scope
    from gis_app.storage.schema import Case, Inspection
    with session_scope(engine) as session:
        inspections = session.scalars(select(Inspection)).all()
        cases = session.scalars(select(Case)).all()
        return ([(i.id, i.grid, i.inspector, len(i.photos or [])) for i in inspections],
                [(c.id, c.category, c.severity, c.inspection_id) for c in cases])


def _open_phone(chromium, server, lonlat):
    recorded = RecordedPage(chromium, server.url, viewport=PHONE)
    recorded.context.grant_permissions(["geolocation"], origin=server.url)
    recorded.context.set_geolocation({"latitude": lonlat.y, "longitude": lonlat.x, "accuracy": 8})
    page = recorded.page
    page.goto(server.url + "/login?next=/inspect")
    page.fill("#sg-name", "李巡查")
    page.fill("#sg-password", PASSWORD)
    page.click("#sg-login-submit")
    page.wait_for_url(server.url + "/inspect")
    page.wait_for_selector("#sg-items li")
    return recorded


@pytest.fixture
def phone(chromium, city):
    """The city on a live server and a phone signed in as 李巡查 on /inspect (``phone.server``: the server)."""
    server = LiveServer(city)
    recorded = _open_phone(chromium, server, SPOT)
    recorded.server = server
    yield recorded
    recorded.close()
    server.stop()


def _fill(page, lonlat):
    page.click("#sg-locate-me")
    page.wait_for_function("() => document.getElementById('sg-located').textContent.includes('%s')" % G1)
    page.check("li[data-key=road_clean] input[value=fail]")
    page.check("li[data-key=road_clean] .sg-emergency input")
    page.check("li[data-key=no_hanging] input[value=na]")
    page.click("#sg-all-pass")
    page.fill("#sg-notes", "东门垃圾堆放")
    page.dispatch_event("#sg-notes", "change")
    page.set_input_files("#sg-photos", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector("#sg-photo-list li")


def test_a_phone_keeps_the_draft_through_a_reload_and_no_connection_then_sends_it_once(phone, city):
    engine = city.extensions["sanigrid.engine"]
    recorded = phone
    page = recorded.page
    _fill(page, SPOT)
    page.wait_for_function("() => document.getElementById('sg-draft-state').textContent.length > 0")
    recorded.screenshot("inspect-phone-draft")
    page.reload()
    page.wait_for_function("() => document.getElementById('sg-draft-state').textContent.includes('已恢复')")
    assert page.is_checked("li[data-key=road_clean] input[value=fail]")
    assert page.is_checked("li[data-key=road_clean] .sg-emergency input")
    assert page.is_checked("li[data-key=no_hanging] input[value=na]")
    assert page.is_checked("li[data-key=bins_ok] input[value=pass]")
    assert page.input_value("#sg-notes") == "东门垃圾堆放"
    assert page.locator("#sg-photo-list li").count() == 1

    recorded.context.set_offline(True)
    page.click("#sg-send")
    page.wait_for_function("() => document.getElementById('sg-draft-state').textContent.includes('网络不通')")
    assert _stored(engine) == ([], [])
    recorded.screenshot("inspect-phone-offline")
    recorded.context.set_offline(False)   # the page sends the kept draft by itself
    page.wait_for_selector("#sg-sent:not([hidden]) #sg-sent-cases li", timeout=20_000)
    recorded.screenshot("inspect-phone-sent")
    inspections, cases = _stored(engine)
    assert [(grid, who, photos) for _, grid, who, photos in inspections] == [(G1, "李巡查", 1)]
    assert [(category, severity, of) for _, category, severity, of in cases] == [
        ("exposed_rubbish", "emergency", inspections[0][0])]
    link = page.locator("#sg-sent-cases a")
    assert link.inner_text() == cases[0][0] and link.get_attribute("href") == f"/cases/{cases[0][0]}"
    page.reload()   # sent: no draft is left behind
    page.wait_for_selector("#sg-items li")
    assert not page.is_checked("li[data-key=road_clean] input[value=fail]")
    assert not recorded.outside and not recorded.errors and not recorded.csp_problems


def test_a_send_whose_answer_was_lost_is_found_on_the_server_and_not_recorded_again(phone, city):
    engine = city.extensions["sanigrid.engine"]
    recorded = phone
    page = recorded.page
    lost = []

    def deliver_then_drop(route):
        route.fetch()          # the server records it ...
        lost.append(route.request.url)
        route.abort("connectionreset")   # ... and the phone never hears back

    _fill(page, SPOT)
    page.route("**/api/v1/inspections", deliver_then_drop)
    page.click("#sg-send")
    page.wait_for_function("() => document.getElementById('sg-draft-state').textContent.includes('网络不通')")
    assert len(lost) == 1 and len(_stored(engine)[0]) == 1
    page.unroute("**/api/v1/inspections")
    page.click("#sg-send")
    page.wait_for_selector("#sg-sent:not([hidden])", timeout=20_000)
    inspections, cases = _stored(engine)
    assert len(inspections) == 1 and len(cases) == 1
    assert inspections[0][0] in page.inner_text("#sg-sent h2")
    assert page.locator("#sg-sent-cases a").inner_text() == cases[0][0]
    assert not recorded.errors and not recorded.csp_problems


def test_a_refused_send_keeps_the_draft_and_shows_why(phone, city):
    """A point outside every grid, typed in with its datum: the server's 422 is shown, the draft stays."""
    engine = city.extensions["sanigrid.engine"]
    recorded = phone
    page = recorded.page
    _fill(page, SPOT)
    far = to_lonlat(Point(X0 - 5000, Y0 - 5000))
    page.click("#sg-manual summary")
    page.fill("#sg-lon", f"{far.x:.6f}")
    page.fill("#sg-lat", f"{far.y:.6f}")
    page.select_option("#sg-crs", "gcj02")
    page.click("#sg-set-point")
    page.wait_for_function("() => document.getElementById('sg-position').textContent.includes('GCJ-02')")
    page.click("#sg-send")
    page.wait_for_function("() => document.getElementById('sg-problem').textContent.includes('未能提交')")
    assert "no grid holds" in page.inner_text("#sg-problem")
    assert _stored(engine) == ([], [])
    page.reload()
    page.wait_for_function("() => document.getElementById('sg-draft-state').textContent.includes('已恢复')")
    assert page.is_checked("li[data-key=road_clean] input[value=fail]")
    assert not recorded.errors and not recorded.csp_problems


def _act(page, action: str, state: str):
    page.click(f"#sg-act-{action} button[type=submit]")
    page.wait_for_selector(f"#sg-state[data-state='{state}']")


def test_on_a_phone_an_inspection_opens_its_case_which_goes_through_to_closed_and_prints_its_notice(
        chromium, phone, city, tmp_path):
    """The whole loop in a phone's viewport: record on /inspect, follow the case, dispatch and rectify with
    a photo, a second person verifies and closes (销号), and the notice prints on one page."""
    recorded = phone
    checker = None
    try:
        page = recorded.page
        _fill(page, SPOT)
        page.click("#sg-send")
        page.wait_for_selector("#sg-sent:not([hidden]) #sg-sent-cases a", timeout=20_000)
        case_id = page.inner_text("#sg-sent-cases a")
        page.click("#sg-sent-cases a")
        page.wait_for_selector("#sg-state[data-state='registered']")
        page.fill("#sg-act-dispatch input[name=assignee]", "13800000001")   # the tiny city's grid has no leader
        _act(page, "dispatch", "dispatched")
        photo = tmp_path / "整改后.jpg"
        photo.write_bytes(_jpeg())
        page.set_input_files("#sg-act-rectify input[name=photo]", str(photo))
        page.fill("#sg-act-rectify input[name=note]", "已清运")
        _act(page, "rectify", "rectified")
        assert page.locator("#sg-act-verify").count() == 0   # the rectifier may not verify
        recorded.screenshot("inspect-phone-case-rectified")

        checker = RecordedPage(chromium, phone.server.url, viewport=PHONE)
        other = checker.page
        other.goto(f"{phone.server.url}/login?next=/cases/{case_id}")
        other.fill("#sg-name", "钱核查")
        other.fill("#sg-password", PASSWORD)
        other.click("#sg-login-submit")
        other.wait_for_url(f"{phone.server.url}/cases/{case_id}")
        _act(other, "verify", "verified")
        _act(other, "close", "closed")
        history = other.inner_text("#sg-history")
        assert all(word in history for word in ("立案", "派遣", "处置", "核查通过", "结案销号", "已清运")), history
        checker.screenshot("inspect-phone-case-closed")
        other.click("#sg-notice-link")
        other.wait_for_selector("#sg-notice")
        assert "问题整改通知书" in other.inner_text("#sg-notice") and case_id in other.inner_text("#sg-notice")
        other.emulate_media(media="print")
        checker.screenshot("inspect-phone-notice")
        pdf = other.pdf(prefer_css_page_size=True, print_background=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
        for each in (recorded, checker):
            assert not each.outside and not each.errors and not each.csp_problems
    finally:
        if checker is not None:
            checker.close()
