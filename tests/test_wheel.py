"""A non-editable install serves the viewer: the wheel carries static/, the templates and the migrations.

The wheel is built from a clean copy of the checkout and installed with ``--no-deps`` into a fresh
virtual environment that sees the project's .venv packages through a .pth file; everything then runs
from a temporary folder outside the checkout, so nothing can come from the checkout by accident.
"""
from __future__ import annotations

import configparser
import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "static"
# Left out of the copy the wheel is built from: nothing of these belongs in a wheel.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__",
                                    "artifacts", "out")


def _listed_packages() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    return {line.strip() for line in cfg["options"]["packages"].splitlines() if line.strip()}


def test_setup_cfg_lists_every_package_of_the_checkout():
    found = set(find_packages(where=str(REPO), include=["gis_app", "gis_app.*", "grids", "grids.*",
                                                        "layers", "layers.*"]))
    assert _listed_packages() == found | {"gis_app.static"}


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source") / "sanigrid"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)])
    (built,) = out.glob("sanigrid-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from the project's .venv."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    # Install first, then let the venv see .venv: pip then never meets the checkout's editable sanigrid.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
          "--no-index", str(wheel)])
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    (Path(site) / "sanigrid_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_the_wheel_holds_static_templates_migrations_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    static = {f"gis_app/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*") if p.is_file()}
    assert static <= names
    for folder, pattern in [("gis_app/templates", "*.html"), ("gis_app/migrations/versions", "*.py"),
                            ("grids/data", "*")]:
        expected = {f"{folder}/{p.name}" for p in (REPO / folder).glob(pattern) if p.is_file()}
        assert expected and expected <= names, folder
    assert "gis_app/migrations/env.py" in names and "gis_app/migrations/script.py.mako" in names
    assert not any(n.startswith(("static/", "tests/", "bench/")) for n in names)


SERVE_CHECK = textwrap.dedent("""
    import hashlib, json, sys
    import gis_app
    app = gis_app.create_app({"SANIGRID_INSTANCE": sys.argv[1]})
    client = app.test_client()
    out = {"package": gis_app.__file__, "static": str(gis_app.STATIC_FOLDER)}
    for path in sys.argv[2:]:
        r = client.get(path)
        out[path] = [r.status_code, hashlib.sha256(r.data).hexdigest(), r.get_data(as_text=True)[:100000]]
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_an_installed_wheel_inits_loads_and_serves_the_viewer(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PATH": f"{installed / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "SANIGRID_INSTANCE": str(work / "inst")}
    sanigrid = str(installed / "bin" / "sanigrid")
    _run([sanigrid, "init"], cwd=work, env=env)
    assert (work / "inst" / "sanigrid.sqlite").is_file()
    _run([sanigrid, "demo"], cwd=work, env=env)   # the vendored grids/data ships too

    assets = ["/static/vendor/leaflet-1.9.4/leaflet.js", "/static/viewer/viewer.js",
              "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js"]
    (work / "check.py").write_text(SERVE_CHECK, encoding="utf-8")
    done = _run([str(installed / "bin" / "python"), "check.py", str(work / "inst"), "/", "/api/v1/docs", *assets],
                cwd=work, env=env)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(installed)
    assert Path(out["static"]) == Path(out["package"]).parent / "static"
    for path in assets:
        assert out[path][:2] == [200, _sha((STATIC / path.removeprefix("/static/")).read_bytes())], path
    viewer_status, _, viewer_page = out["/"]
    assert viewer_status == 200 and "/static/viewer/viewer.js" in viewer_page
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in viewer_page
    assert out["/api/v1/docs"][0] == 200 and "swagger-ui-bundle.js" in out["/api/v1/docs"][2]
