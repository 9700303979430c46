"""The domain does no web or database work: grids/ never imports Flask or SQLAlchemy."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"flask", "sqlalchemy", "alembic", "werkzeug", "gis_app"}


@pytest.mark.parametrize("package", ["grids", "layers"])
def test_domain_packages_import_no_web_or_storage(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
