"""Frontages, places and roads as /ogc collections (OGC API – Features), on both backends."""
import pytest

from frontage_fixtures import streets  # noqa: F401


def test_smoke(streets, client):
    for c in ("frontages", "places", "roads"):
        r = client.get(f"/ogc/collections/{c}/items")
        print(r.status_code, r.get_data(as_text=True)[:1500])
        r = client.get(f"/ogc/collections/{c}")
        print(r.status_code, r.get_data(as_text=True)[:1500])
