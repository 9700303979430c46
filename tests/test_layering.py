"""The layering of the design card: grids/ is the domain (no web, no storage), layers/ draws, gis_app/ is the
app, and scripts/ is a client of grids/ and gis_app/ that nothing imports."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB_AND_STORAGE = {"flask", "sqlalchemy", "alembic", "werkzeug", "gis_app"}
SCRIPT_HELPERS = {p.stem for p in (ROOT / "scripts").glob("_*.py")}  # scripts' own shared module(s)


def imported(package: str) -> list[tuple[str, str]]:
    """(file, top-level module) for every import in a package's Python files."""
    found = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [(path.relative_to(ROOT).as_posix(), n.split(".")[0]) for n in names]
    return found


@pytest.mark.parametrize("package", ["grids", "layers"])
def test_domain_packages_import_no_web_or_storage(package):
    assert [f"{f}: {m}" for f, m in imported(package) if m in WEB_AND_STORAGE] == []


@pytest.mark.parametrize("package", ["grids", "layers", "gis_app"])
def test_nothing_imports_the_scripts(package):
    assert [f"{f}: {m}" for f, m in imported(package) if m == "scripts" or m in SCRIPT_HELPERS] == []


def test_scripts_are_clients_of_grids_and_gis_app_only():
    """A script reaches the project through grids/ and gis_app/ (and its own helpers), never layers/ or tests/."""
    project = {"grids", "gis_app", "layers", "tests", "bench", "scripts"}
    used = {m for _, m in imported("scripts")}
    assert used & project <= {"grids", "gis_app"}
    assert {"grids", "gis_app"} <= used
    assert sorted(p.stem for p in (ROOT / "scripts").glob("[!_]*.py")) == sorted(
        ["export_district", "import_folder", "prepare_osm", "redraw_communities", "staff_district"])
