"""gis_app/views/ renders pages: it asks storage and the register for data and never queries itself."""
from __future__ import annotations

import ast

import pytest

from conftest import REPO

VIEWS = sorted((REPO / "gis_app" / "views").glob("*.py"))
NO_QUERIES = ("sqlalchemy", "storage.schema", "storage.repository", "storage.db", "session_scope", "fetch_raw")


def _imports(path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [f"{node.module or ''}.{a.name}" for a in node.names]
    return out


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_a_view_module_imports_nothing_that_queries(path):
    assert [name for name in _imports(path) if any(bad in name for bad in NO_QUERIES)] == []


def test_the_check_sees_a_query_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from sqlalchemy import select\nfrom ..storage import session_scope\n", encoding="utf-8")
    assert len([n for n in _imports(sample) if any(bad in n for bad in NO_QUERIES)]) == 2
