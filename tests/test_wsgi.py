"""The production entry point (gis_app.wsgi) under the README's gunicorn command."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from shapely.geometry import Point

from conftest import BACKEND, COMMUNITY, X0, Y0, to_lonlat


WSGI_FACTS = ("import gc, json, gis_app.wsgi as w; from gis_app.storage import live_index as live; "
              "print(json.dumps({'db': w.app.config['SANIGRID_DATABASE_URL'], 'frozen': gc.get_freeze_count(), "
              "'threshold': gc.get_threshold()[0], 'statuses': len(live._statuses), "
              "'indexes': len(live._indexes), 'warm': w.warm(w.app)}))")


def wsgi_facts(settings) -> dict:
    out = subprocess.run([sys.executable, "-c", WSGI_FACTS], env={**os.environ, **settings},
                         capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_wsgi_module_builds_the_app_from_the_environment_warms_caches_and_freezes_gc(loaded, settings):
    facts = wsgi_facts(settings)
    assert facts["db"] == settings["SANIGRID_DATABASE_URL"]
    assert facts["statuses"] == 1 and facts["warm"] is True  # the tiles' status map was built at import
    # SQLite's tiles also need the live index of every outline; PostGIS builds each tile in SQL instead.
    assert facts["indexes"] == (1 if BACKEND == "sqlite" else 0)
    assert facts["frozen"] > 10_000  # the app's long-lived objects are out of the collector's sight
    assert facts["threshold"] == 50_000


def test_wsgi_module_still_starts_before_the_schema_exists(tmp_path):
    empty = {"SANIGRID_INSTANCE": str(tmp_path / "i"), "SANIGRID_DATABASE_URL": f"sqlite:///{tmp_path}/none.sqlite"}
    facts = wsgi_facts(empty)
    assert facts["warm"] is False and facts["indexes"] == facts["statuses"] == 0


def test_readme_gunicorn_command_serves_locate(loaded, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "gis_app.wsgi:app"],
                            env={**os.environ, **settings}, stderr=subprocess.DEVNULL)
    point = to_lonlat(Point(X0 + 100, Y0 + 200))  # inside grid 001 of the tiny city
    try:
        answer = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/locate?lon={point.x}&lat={point.y}",
                                            timeout=2) as response:
                    answer = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert answer is not None, "gunicorn did not answer"
        assert answer["grid"]["code"] == f"{COMMUNITY}001"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
