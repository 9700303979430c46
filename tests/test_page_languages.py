"""The register and gap report pages are Chinese by default and English with the header's switch
(``?lang=en``, then remembered): headings, table headers, labels and the map's layer names."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from conftest import DISTRICT, STREET


class _Page(HTMLParser):
    """The page's <html lang>, <title>, headings (h1, h2, summary) and table header cells, as text."""

    def __init__(self, html: str):
        super().__init__()
        self.lang, self.title, self.headings, self.headers, self._open = None, "", [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("title", "h1", "h2", "th", "summary"):
            self._open.append([tag, ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            tag, text = self._open.pop()
            text = " ".join(text.split())
            if tag == "title":
                self.title = text
            elif tag == "th":
                self.headers.append(text)
            else:
                self.headings.append(text)

    def handle_data(self, data):
        for entry in self._open:
            entry[1] += data


def _page(client, path: str) -> tuple[_Page, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return _Page(html), html


def _js(text: str, whole: bool = True) -> str:
    """``text`` as folium writes it into the map's script (JSON, non-ASCII as \\u escapes)."""
    quoted = json.dumps(text)
    return quoted if whole else quoted[:-1]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


REGISTER_HEADERS = {"zh": ["网格编码", "名称", "户数", "保洁员", "人员状态", "缺项"],
                    "en": ["Grid code", "Name", "Households", "Cleaners", "Staffing", "Missing"]}
FINDING_HEADERS = {"zh": ["问题", "所在区域", "区域名称", "网格", "另一网格", "面积(m²)", "户数", "说明"],
                   "en": ["Finding", "Region", "Region name", "Grid", "Other grid", "Area (m²)", "Households",
                          "Detail"]}


def test_the_register_page_is_chinese_by_default_and_english_on_the_switch(loaded):
    client = loaded.test_client()
    zh, html = _page(client, "/register")
    assert zh.lang == "zh-CN" and zh.title == "网格登记册 · sanigrid"
    assert zh.headings[0] == "网格化管理 · 网格登记册" and zh.headers[:6] == REGISTER_HEADERS["zh"]
    assert "覆盖缺口报告" in html and "无人" in html
    en, html = _page(client, "/register?lang=en")
    assert en.lang == "en" and en.title == "Grid register · sanigrid"
    assert en.headings[0] == "Grid management · grid register" and en.headers[:6] == REGISTER_HEADERS["en"]
    assert "Coverage gap report" in html and ">unstaffed<" in html and "鱼峰区" in html   # names stay names
    assert not any(_chinese(h) for h in en.headers)
    # The choice is remembered: the next page without ?lang is English too, and ?lang=zh switches back.
    assert _page(client, "/register")[0].headers[:6] == REGISTER_HEADERS["en"]
    assert _page(client, "/register?lang=zh")[0].headers[:6] == REGISTER_HEADERS["zh"]
    assert _page(client, "/register")[0].lang == "zh-CN"


def test_the_empty_register_page_in_english(client):
    assert "The register is empty" in client.get("/register?lang=en").get_data(as_text=True)


def test_the_gap_index_is_chinese_by_default_and_english_on_the_switch(loaded):
    client = loaded.test_client()
    zh, _ = _page(client, "/gaps")
    assert zh.title == "覆盖缺口报告 · 选择区域" and zh.headings[0] == "全覆盖无死角 · 覆盖缺口报告"
    assert zh.headings[1].startswith("街道 (")
    en, html = _page(client, "/gaps?lang=en")
    assert en.lang == "en" and en.title == "Coverage gap report · choose a region"
    assert en.headings[0] == "Full coverage, no blind spots · coverage gap report"
    assert en.headings[1].startswith("Streets (") and f'href="/gaps/{STREET}"' in html
    assert "Choose a district or street" in html


@pytest.mark.parametrize("code", [DISTRICT, STREET])
def test_the_gap_report_is_chinese_by_default_and_english_on_the_switch(loaded, code):
    client = loaded.test_client()
    zh, zh_html = _page(client, f"/gaps/{code}")
    assert zh.lang == "zh-CN" and zh.title.startswith("覆盖缺口报告 · ")
    assert zh.headings[0].startswith("全覆盖无死角 · 覆盖缺口报告 · ")
    assert [h.split(" (")[0] for h in zh.headings[1:]] == ["地图", "问题清单", "汇总"]
    assert zh.headers[:8] == FINDING_HEADERS["zh"] and zh.headers[8:11] == ["级别", "编码", "名称"]
    assert ">空洞<" in zh_html and "覆盖得分 = 100" in zh_html
    assert _js("区域边界") in zh_html and _js("空洞 (", whole=False) in zh_html   # the map's layer names
    assert _js("问题") in zh_html   # and its hover labels

    en, html = _page(client, f"/gaps/{code}?lang=en")
    name = zh.title.split(" · ")[1]   # the region's name (a name, not translated)
    assert en.lang == "en" and en.title == f"Coverage gap report · {name}"
    assert en.headings[0].startswith(f"Full coverage, no blind spots · coverage gap report · {name}")
    assert [h.split(" (")[0] for h in en.headings[1:]] == ["Map", "Findings", "Summary"]
    assert en.headers[:8] == FINDING_HEADERS["en"] and en.headers[8:11] == ["Level", "Code", "Name"]
    assert "Coverage score" in en.headers
    assert not any(_chinese(h) for h in en.headers)
    assert ">Hole<" in html and ">空洞<" not in html and "Coverage score = 100" in html
    assert "Click a row to zoom the map to it." in html and "areas computed in EPSG:" in html
    # The map speaks English too: layer names and hover labels.
    assert '"Region outlines"' in html and '"Hole (' in html and _js("区域边界") not in html
    assert '"Finding"' in html and _js("问题") not in html and _js("空洞") not in html
    # Chinese stays the default for a client that never switched.
    assert _page(loaded.test_client(), f"/gaps/{code}")[0].headers[:8] == FINDING_HEADERS["zh"]
