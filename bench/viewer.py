"""Benchmark the map viewer in headless Chromium: time until grids are drawn, and a pan that needs new data.

For the demo city (600 grids) and the 20,000-grid generated city: loads each into a temporary
SQLite register, starts the production server (gunicorn, 2 workers, as bench/api.py does) and
drives Debian's chromium through Playwright. A figure is the page's own clock: from the start of
navigation (``performance.timeOrigin``) to the animation frame after the last tile of the view
was drawn (``sanigrid.stats.idleAt``); every load is a fresh browser context (empty cache).

The bare reference, same data in the same run: the naive page the issue warns against, plain
Leaflet drawing the whole register as one GeoJSON file (every grid at full detail, one
``L.geoJSON`` on a canvas), served as static files by Python's http.server. Screenshots of each
city's first view go to bench/out/.

After one grid edit (a PATCH through the API, in process), the next tile over that grid and the
next ``locate`` in it: ``write_next_tile_ms`` and ``write_next_locate_ms`` (the live rtree index,
the statuses and the locate answers patched for that grid), beside the same tile and locate
after every cache is dropped (the full rebuild, same register, same run); ``write_ratio`` is the
slower of the two against its rebuild. Ends with one JSON line (``ratio``: the city's first view
against bare Leaflet).

    .venv/bin/python bench/viewer.py [--runs 3] [--skip-demo] [--writes-only]
"""
from __future__ import annotations

import argparse
import functools
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import build_register, free_port, start_server  # noqa: E402

from gis_app.storage import repository as repo  # noqa: E402
from gis_app.storage import session_scope  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"          # screenshots of the first view (git-ignored)
LEAFLET = REPO / "static" / "vendor" / "leaflet-1.9.4"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
TARGETS = {"city_load_s_max": 3.0, "city_pan_s_max": 1.0, "demo_load_s_max": 1.5, "write_next_tile_ms_max": 50,
           "write_next_locate_ms_max": 50}
IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="leaflet/leaflet.css"><script src="leaflet/leaflet.js"></script>
<style>html, body, #map { height: 100%; margin: 0; }</style></head><body><div id="map"></div><script>
var map = L.map("map", {preferCanvas: true});
fetch("grids.geojson").then(r => r.json()).then(data => {
  var layer = L.geoJSON(data, {style: {weight: 1, fillOpacity: 0.25}});
  map.fitBounds(layer.getBounds());
  layer.addTo(map);
  requestAnimationFrame(() => requestAnimationFrame(() => { window.drawnAt = performance.now(); }));
});
</script></body></html>"""


def bare_site(work: Path, settings: dict) -> Path:
    """Write the naive page, Leaflet and the whole register as one GeoJSON file into ``work/bare``."""
    from gis_app import create_app
    site = work / "bare"
    shutil.copytree(LEAFLET, site / "leaflet")
    engine = create_app(settings).extensions["sanigrid.engine"]
    with session_scope(engine) as session:
        grids = repo.load_grids(session)[["code", "name", "households", "geometry"]]
    (site / "grids.geojson").write_text(grids.to_json(), encoding="utf-8")
    (site / "index.html").write_text(BARE_PAGE, encoding="utf-8")
    return site


def serve_static(site: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def load_seconds(browser, url: str, done: str, clock: str) -> tuple[float, object]:
    """Open ``url`` in a fresh context; return (seconds from navigation start to ``clock``, the page)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(done, timeout=120_000)
    return page.evaluate(clock) / 1000, page


def pan_seconds(page, zoom: int | None) -> list[float]:
    """Pan one screen four times (east, south, east, south): each brings tiles never loaded."""
    if zoom is not None:
        page.evaluate(f"() => {{ sanigrid.map.setZoom({zoom}, {{animate: false}}); }}")
        page.wait_for_function(IDLE, timeout=120_000)
    out = []
    for dx, dy in ((VIEWPORT["width"], 0), (0, VIEWPORT["height"])) * 2:
        tiles = page.evaluate("sanigrid.stats.tiles")
        start = page.evaluate(f"""() => {{ sanigrid.stats.idle = false; const t = performance.now();
            sanigrid.map.panBy([{dx}, {dy}], {{animate: false}}); return t; }}""")
        page.wait_for_function(IDLE, timeout=120_000)
        if page.evaluate("sanigrid.stats.tiles") == tiles:
            raise SystemExit("a pan loaded no new tile: the benchmark would not measure new data")
        out.append((page.evaluate("sanigrid.stats.idleAt") - start) / 1000)
    return out


def server_peak_rss(proc) -> int:
    """Return the largest peak RSS (VmHWM) among the server's worker processes."""
    peaks = []
    for child in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) * 1024)
    return max(peaks, default=0)


def measure_city(browser, n_grids: int, runs: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="sanigrid-viewer-bench-"))
    print(f"building the {n_grids}-grid city in {work} ...", flush=True)
    settings, _points, _app = build_register(work, n_grids)
    static = None
    port = free_port()
    proc = start_server(settings, port, workers=2, threads=1, server="gunicorn")
    try:
        url = f"http://127.0.0.1:{port}/"
        clock = "sanigrid.stats.idleAt"
        cold, page = load_seconds(browser, url, IDLE, clock)
        page.context.close()
        loads, drawn = [], 0
        for _ in range(runs):
            seconds, page = load_seconds(browser, url, IDLE, clock)
            loads.append(seconds)
            drawn = page.evaluate("sanigrid.stats.drawn")
            page.context.close()
        _, page = load_seconds(browser, url, IDLE, clock)
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / f"viewer-{n_grids}.png"))
        city_pans = pan_seconds(page, None)
        street_pans = pan_seconds(page, 15)
        heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
        page.context.close()
        site = bare_site(work, settings)
        static, bare_url = serve_static(site)
        bare = [load_seconds(browser, bare_url + "/index.html", "() => window.drawnAt", "window.drawnAt")[0]
                for _ in range(runs)]
        rss = server_peak_rss(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if static:
            static.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    return {"grids": n_grids, "drawn": drawn, "cold_load_s": round(cold, 3), "loads_s": [round(s, 3) for s in loads],
            "load_s": round(statistics.median(loads), 3), "city_view_pans_s": [round(s, 3) for s in city_pans],
            "street_pans_s": [round(s, 3) for s in street_pans], "pan_s": round(max(street_pans), 3),
            "bare_loads_s": [round(s, 3) for s in bare], "bare_load_s": round(statistics.median(bare), 3),
            "server_peak_rss_mib": round(rss / 2**20, 1), "page_js_heap_mib": round(heap / 2**20, 1)}


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure_writes(n_grids: int, edits: int) -> dict:
    """Time the next tile and ``locate`` after one grid edit, beside a full rebuild of the same answers."""
    import mercantile
    import shapely
    from gis_app.auth import create_token
    from gis_app.storage.cache import clear_caches
    work = Path(tempfile.mkdtemp(prefix="sanigrid-write-bench-"))
    print(f"building the {n_grids}-grid city in {work} ...", flush=True)
    _settings, _points, app = build_register(work, n_grids)
    engine = app.extensions["sanigrid.engine"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_token(engine, 'editor')[1]}"}
    with session_scope(engine) as session:
        grids = repo.load_grids(session)
    middle = grids.iloc[len(grids) // 2]
    point = shapely.point_on_surface(middle.geometry)
    t = mercantile.tile(point.x, point.y, 15)
    tile_url, locate_url = f"/tiles/grids/15/{t.x}/{t.y}.geojson", f"/api/v1/locate?lon={point.x}&lat={point.y}"

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def edit(i):
        etag = client.get(f"/api/v1/grids/{middle.code}").headers["ETag"]
        answer = client.patch(f"/api/v1/grids/{middle.code}", json={"properties": {"households": 150 + i % 2 * 60}},
                              headers={**headers, "If-Match": etag})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    rebuild_tile, rebuild_locate, next_tile, next_locate = [], [], [], []
    for i in range(edits):
        clear_caches()
        rebuild_tile.append(_ms(lambda: get(tile_url)))
        clear_caches()
        rebuild_locate.append(_ms(lambda: get(locate_url)))
        get(tile_url)
        edit(2 * i)
        next_tile.append(_ms(lambda: get(tile_url)))
        edit(2 * i + 1)
        next_locate.append(_ms(lambda: get(locate_url)))
        assert get(locate_url).get_json()["grid"]["households"] == 150 + (2 * i + 1) % 2 * 60
    shutil.rmtree(work, ignore_errors=True)
    med = lambda values: round(statistics.median(values), 2)  # noqa: E731
    out = {"grids": n_grids, "edits": edits, "write_next_tile_ms": med(next_tile),
           "write_next_locate_ms": med(next_locate), "rebuild_tile_ms": med(rebuild_tile),
           "rebuild_locate_ms": med(rebuild_locate), "write_next_tile_ms_all": [round(v, 2) for v in next_tile],
           "write_next_locate_ms_all": [round(v, 2) for v in next_locate]}
    out["write_ratio"] = round(max(out["write_next_tile_ms"] / out["rebuild_tile_ms"],
                                   out["write_next_locate_ms"] / out["rebuild_locate_ms"]), 4)
    print(f"after one grid edit at {n_grids} grids: next tile {out['write_next_tile_ms']} ms "
          f"(full rebuild {out['rebuild_tile_ms']} ms), next locate {out['write_next_locate_ms']} ms "
          f"(full rebuild {out['rebuild_locate_ms']} ms); write_ratio {out['write_ratio']} "
          f"(medians of {edits} edits)", flush=True)
    return out


def report(results: dict) -> None:
    writes = results.pop("writes")
    for name, r in results.items():
        print(f"{name}: {r['grids']} grids, {r['drawn']} drawn; first view {r['load_s']:.3f} s (median of {r['loads_s']}), "
              f"cold server {r['cold_load_s']:.3f} s; bare Leaflet + one GeoJSON {r['bare_load_s']:.3f} s "
              f"(ratio {r['load_s'] / r['bare_load_s']:.2f}); pans at street zoom {r['street_pans_s']} s, "
              f"at the whole-city zoom {r['city_view_pans_s']} s; server peak RSS {r['server_peak_rss_mib']} MiB, "
              f"page JS heap {r['page_js_heap_mib']} MiB", flush=True)
    figures = {"benchmark": "viewer", **results, "writes": writes, "targets": TARGETS,
               **{k: writes[k] for k in ("write_next_tile_ms", "write_next_locate_ms", "rebuild_tile_ms",
                                         "rebuild_locate_ms", "write_ratio")}}
    if "city" in results:
        figures["ratio"] = round(results["city"]["load_s"] / results["city"]["bare_load_s"], 3)
    else:  # --writes-only: the write figures are the run's ratio
        figures["ratio"] = writes["write_ratio"]
    print(json.dumps(figures, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--city-grids", type=int, default=20_000)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--writes-only", action="store_true", help="only the figures after one grid edit (no browser)")
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    results = {"writes": measure_writes(args.city_grids, args.edits)}
    if args.writes_only:
        report(results)
        return
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        if not args.skip_demo:
            results["demo"] = measure_city(browser, 600, args.runs)
        results["city"] = measure_city(browser, args.city_grids, args.runs)
        browser.close()
    report(results)


if __name__ == "__main__":
    main()
