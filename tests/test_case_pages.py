"""The case pages (/cases, /cases/<id>) and the rectification notice (/cases/<id>/notice, notice.pdf).

An inspection by the shop front of 柳州螺蛳粉店 (frontage F1) opens the cases; the pages list them with
the unit's name, refuse bad filters with a 422 page, keep a district-scoped reader in its district,
show the action forms to a signed-in editor only, and print the notice on one A4 page with the
Chinese text embedded in a Noto CJK font.
"""
from __future__ import annotations

import io
import re
import zlib

import pytest

from browser_fixtures import ARTIFACTS, browse, chromium, live  # noqa: F401  (fixtures)
from conftest import DISTRICT
from frontage_fixtures import streets  # noqa: F401  (fixture)
from test_api_cases import body, jpeg, post_form

HTML = {"Accept": "text/html"}
PASSWORD = "整改 password 1"


def record(client, auth, *failed, **extra):
    """Record a daily inspection by the shop front of F1 (grid 001) failing ``failed``; return its case ids."""
    answer = client.post("/api/v1/inspections", json=body(*failed, x=150, y=168, notes="东门口", **extra),
                         headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return [c["id"] for c in answer.get_json()["cases"]]


def sign_in(client, name: str) -> str:
    """Sign in through the form; return the session's CSRF token."""
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf, "next": "/cases"})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    page = client.get("/cases").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]


@pytest.fixture
def cases(streets, client, token):  # noqa: F811
    return record(client, token("editor"), "road_clean", "no_dumping", "no_posters")


def test_the_list_shows_the_cases_with_the_party_by_name_and_links(cases, client):
    page = client.get("/cases").get_data(as_text=True)
    assert all(f'href="/cases/{case_id}"' in page for case_id in cases)
    assert page.count("柳州螺蛳粉店（门前三包责任单位）") == 3
    assert "暴露垃圾" in page and "乱贴乱画（小广告）" in page and 'href="/cases"' in page   # the header links it
    assert 'id="sg-dispatch"' not in page and "sg-pick" not in page    # anonymous: no buttons
    english = client.get("/cases?lang=en").get_data(as_text=True)
    assert "Exposed rubbish" in english and "frontage unit" in english and "registered" in english


@pytest.mark.parametrize("query, shown", [
    ("category=posters", 1), ("state=registered", 3), ("state=dispatched", 0), (f"region={DISTRICT}", 3),
    ("region=450203008002", 0), ("region=450203008001001", 3), ("region=450203008001002", 0),
    ("community=450203008001", 3), ("overdue=true", 3), ("overdue=false", 0),
])
def test_the_filters(cases, client, query, shown):
    page = client.get(f"/cases?{query}").get_data(as_text=True)
    assert len(re.findall(r'<tr data-id="AJ\d+"', page)) == shown, query
    assert ("没有符合条件的案件" in page) == (shown == 0)


@pytest.mark.parametrize("query, words", [
    ("region=4502", "6, 9, 12 or 15 digits"), ("region=45020300800a", "6, 9, 12 or 15 digits"),
    ("category=nothing", "unknown category"), ("state=lost", "state"), ("overdue=perhaps", "overdue"),
    ("cursor=" + "x" * 80, "cursor"),
])
def test_a_bad_filter_is_a_422_page(cases, client, query, words):
    answer = client.get(f"/cases?{query}", headers=HTML)
    assert answer.status_code == 422 and answer.mimetype == "text/html", query
    assert words in answer.get_data(as_text=True)


def test_paging_follows_the_next_link(cases, client, monkeypatch):
    from gis_app.views import case_pages
    monkeypatch.setattr(case_pages, "PAGE_SIZE", 2)
    first = client.get("/cases?state=registered").get_data(as_text=True)
    assert re.findall(r'<tr data-id="(AJ\d+)"', first) == cases[:2]
    link = re.search(r'<a href="([^"]+)" id="sg-next">', first)[1].replace("&amp;", "&")
    assert "state=registered" in link and f"cursor={cases[1]}" in link
    second = client.get(link).get_data(as_text=True)
    assert re.findall(r'<tr data-id="(AJ\d+)"', second) == cases[2:] and 'id="sg-next"' not in second
    assert 'id="sg-first"' in second


def test_a_district_scoped_reader_sees_its_district_only(settings, files, token):
    from gis_app import create_app
    from gis_app.imports import import_file
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_PUBLIC_READS": False})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    for layer in ("regions", "grids"):
        import_file(engine, app.config, layer, files[layer])
    client = app.test_client()
    from gis_app.auth import create_token
    editor = {"Authorization": f"Bearer {create_token(engine, 'editor')[1]}"}
    ids = record(client, editor, "road_clean")
    mine = {"Authorization": f"Bearer {create_token(engine, 'viewer', district=DISTRICT)[1]}", **HTML}
    other = {"Authorization": f"Bearer {create_token(engine, 'viewer', district='450204')[1]}", **HTML}
    assert ids[0] in client.get("/cases", headers=mine).get_data(as_text=True)
    assert ids[0] not in client.get("/cases", headers=other).get_data(as_text=True)
    refused = client.get(f"/cases?region={DISTRICT}", headers=other)
    assert refused.status_code == 403 and "450204" in refused.get_data(as_text=True)
    assert client.get(f"/cases/{ids[0]}", headers=other).status_code == 404
    assert client.get(f"/cases/{ids[0]}/notice", headers=other).status_code == 404
    assert client.get("/cases", headers=HTML).status_code == 303            # anonymous: to the sign-in page


def test_the_case_page_offers_the_allowed_actions_to_a_signed_in_editor(cases, client, engine):
    from gis_app.users import create_user
    create_user(engine, "李编辑", PASSWORD, "editor")
    anonymous = client.get(f"/cases/{cases[0]}").get_data(as_text=True)
    assert "柳州螺蛳粉店" in anonymous and "阳和大道1号" in anonymous and "<form class=\"sg-act\"" not in anonymous
    assert "2026-10-08 10:00" in anonymous and 'class="sg-mark"' in anonymous   # the deadline, a map with the point
    assert "sg-sign-in-to-act" in anonymous
    sign_in(client, "李编辑")
    page = client.get(f"/cases/{cases[0]}").get_data(as_text=True)
    assert 'id="sg-act-dispatch"' in page and 'id="sg-act-defer"' not in page   # defer: admins only
    assert f'data-etag="&#34;case-{cases[0]}-v1&#34;"' in page


def test_the_rectifier_is_not_offered_verify_and_another_editor_is(cases, app, engine):
    from gis_app.users import create_user
    create_user(engine, "李编辑", PASSWORD, "editor")
    create_user(engine, "赵核查", PASSWORD, "editor")
    rectifier, checker = app.test_client(), app.test_client()
    csrf = sign_in(rectifier, "李编辑")
    url = f"/api/v1/cases/{cases[0]}/actions"
    done = rectifier.post(url, json={"action": "dispatch"}, headers={"X-CSRF-Token": csrf,
                                                                     "If-Match": f'"case-{cases[0]}-v1"'})
    assert done.status_code == 200, done.get_json()
    done = post_form(rectifier, url, {"action": "rectify", "photo": (io.BytesIO(jpeg()), "after.jpg")},
                     {"X-CSRF-Token": csrf, "If-Match": done.headers["ETag"]})
    assert done.status_code == 200, done.get_json()
    page = rectifier.get(f"/cases/{cases[0]}").get_data(as_text=True)
    assert 'id="sg-rectifier-note"' in page and "sg-act-verify" not in page and "sg-act-reject" not in page
    sign_in(checker, "赵核查")
    page = checker.get(f"/cases/{cases[0]}").get_data(as_text=True)
    assert 'id="sg-act-verify"' in page and 'id="sg-act-reject"' in page and "sg-rectifier-note" not in page


def test_the_notice_names_the_party_the_problem_and_the_deadline(cases, client):
    page = client.get(f"/cases/{cases[0]}/notice").get_data(as_text=True)
    assert "问题整改通知书" in page and f"〔2026〕{cases[0]}" in page
    assert "柳州螺蛳粉店" in page and "阳和大道1号" in page and "阳和社区第1网格" in page
    assert "暴露垃圾" in page and "东门口" in page
    assert "2026年10月8日 10:00" in page and "1个工作日" in page and "法定节假日顺延" in page
    assert "鱼峰区爱国卫生运动委员会办公室" in page and "2026年9月30日" in page
    assert 'class="sg-mark"' in page and 'class="sg-qr"' in page
    assert f"http://localhost/cases/{cases[0]}" in page     # the QR code's address, printed beside it
    english = client.get(f"/cases/{cases[0]}/notice?lang=en").get_data(as_text=True)
    assert "Rectification notice" in english and "2026-10-08 10:00" in english and "1 working day" in english


def _pdf_objects(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (WeasyPrint packs its objects in object streams)."""
    chunks = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream[1]))
        except zlib.error:
            pass
    return b"\n".join(chunks)


def test_the_notice_pdf_is_one_a4_page_with_the_chinese_text_embedded(cases, client):
    answer = client.get(f"/cases/{cases[0]}/notice.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    data = answer.data
    objects = _pdf_objects(data)
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page(?![s\w])", objects)) == 1  # not /Pages
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d* 841\.\d*\s*\]", objects)                 # A4 in points
    # The Chinese text is set in an embedded subset of Noto CJK (the subset's tag, then the font's name).
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-?S(ans|erif)-?CJK", objects)
    assert re.search(rb"/FontFile[23]?\s+\d+ 0 R", objects)
    # The same HTML, laid out by WeasyPrint's own document API: one A4 page holding the Chinese text.
    import weasyprint
    from gis_app.views.pdf import _fetcher
    html = client.get(f"/cases/{cases[0]}/notice").get_data(as_text=True)
    document = weasyprint.HTML(string=html, base_url="http://localhost/",
                               url_fetcher=_fetcher("http://localhost/")).render()
    assert len(document.pages) == 1
    assert (round(document.pages[0].width * 25.4 / 96), round(document.pages[0].height * 25.4 / 96)) == (210, 297)
    text = "".join(_texts(document.pages[0]._page_box))
    assert "问题整改通知书" in text and "柳州螺蛳粉店" in text and "2026年10月8日 10:00" in text


def _texts(box):
    if hasattr(box, "text"):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _texts(child)


def _sign_in(recorded, live, name: str, target: str):
    page = recorded.page
    page.goto(f"{live.url}/login?next={target}")
    page.fill("#sg-name", name)
    page.fill("#sg-password", PASSWORD)
    page.click("#sg-login-submit")
    page.wait_for_url(live.url + target)


def _submit(page, action: str, state: str):
    """Submit the case page's form of ``action`` and wait until the page, read again, shows ``state``."""
    page.click(f"#sg-act-{action} button[type=submit]")
    page.wait_for_selector(f"#sg-state[data-state='{state}']")


def test_chromium_dispatches_in_bulk_then_takes_a_case_through_to_closed_and_prints_its_notice(
        cases, live, browse, engine, client, token, tmp_path):
    from gis_app.users import create_user
    create_user(engine, "李编辑", PASSWORD, "editor")
    create_user(engine, "赵核查", PASSWORD, "editor")
    first, second, third = cases
    recorded = browse("/cases")
    page = recorded.page
    assert page.locator("#sg-dispatch").count() == 0          # anonymous: no buttons
    _sign_in(recorded, live, "李编辑", "/cases")
    # Someone dispatches the third case after the page was read: its row answers 409 and stays as it is.
    assert client.post(f"/api/v1/cases/{third}/actions", json={"action": "dispatch", "assignee": "13800000009"},
                       headers={**token("editor"), "If-Match": f'"case-{third}-v1"'}).status_code == 200
    for case_id in cases:
        page.check(f"input.sg-pick[data-id='{case_id}']")
    page.click("#sg-dispatch")
    page.wait_for_function("() => [...document.querySelectorAll('td.sg-result')].every(c => c.textContent)")
    results = {c: page.inner_text(f"td.sg-result[data-id='{c}']") for c in cases}
    assert results[first].startswith("成功") and results[second].startswith("成功"), results
    assert "409" in results[third] and "changed since you read version 1" in results[third], results
    assert page.inner_text(f"tr[data-id='{first}'] .sg-state") == "派遣"
    recorded.screenshot("cases-bulk-dispatch")
    writes = client.get(f"/api/v1/cases/{first}").get_json()["properties"]
    assert writes["state"] == "dispatched" and writes["assignee"] == "F1"   # the frontage unit addressed

    page.click(f"a[href='/cases/{first}']")
    page.wait_for_selector("#sg-act-rectify")
    fake = tmp_path / "zip.jpg"
    fake.write_bytes(b"PK\x03\x04 not a photo")
    page.set_input_files("#sg-act-rectify input[name=photo]", str(fake))
    page.click("#sg-act-rectify button[type=submit]")
    page.wait_for_selector("#sg-act-message.sg-bad")
    assert "422" in page.inner_text("#sg-act-message")             # refused, nothing changed
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg())
    page.set_input_files("#sg-act-rectify input[name=photo]", str(photo))
    page.fill("#sg-act-rectify input[name=note]", "已清理")
    _submit(page, "rectify", "rectified")
    assert page.locator("#sg-act-verify").count() == 0 and page.locator("#sg-act-reject").count() == 0
    assert page.locator("#sg-rectifier-note").is_visible() and page.locator(".sg-evidence").is_visible()
    recorded.screenshot("case-rectified")
    page.click("#sg-logout")

    checker = browse("/cases")
    _sign_in(checker, live, "赵核查", f"/cases/{first}")
    page = checker.page
    _submit(page, "verify", "verified")
    _submit(page, "close", "closed")
    history = page.inner_text("#sg-history")
    assert all(word in history for word in ("立案", "派遣", "处置", "核查通过", "结案销号", "已清理")), history
    assert page.locator("form.sg-act").count() == 0
    checker.screenshot("case-closed")

    page.click("#sg-notice-link")
    page.wait_for_selector("#sg-notice")
    notice = page.inner_text("#sg-notice")
    assert "问题整改通知书" in notice and "柳州螺蛳粉店" in notice and "2026年10月8日 10:00" in notice
    page.emulate_media(media="print")
    assert page.locator(".sg-header").is_hidden() and page.locator(".sg-screen-only").is_hidden()
    checker.screenshot("case-notice")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "case-notice-chromium.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1        # the browser prints it on one page too
    answer = client.get(f"/cases/{first}/notice.pdf")
    (ARTIFACTS / "case-notice.pdf").write_bytes(answer.data)
    assert answer.status_code == 200


@pytest.mark.parametrize("path", ["/cases/AJ99999999", "/cases/<b>x</b>", "/cases/AJ99999999/notice",
                                  "/cases/AJ99999999/notice.pdf", "/cases/" + "A" * 65])
def test_an_unknown_case_is_a_404_page(streets, client, path):  # noqa: F811
    answer = client.get(path, headers=HTML)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "<b>x</b>" not in answer.get_data(as_text=True)
