"""Storage: one engine per URL, one session per unit of work, one transaction per write."""
from .db import engine_for, fetch_raw, on_postgis, refresh_statistics, register_version_now, session_scope, upgrade

__all__ = ["engine_for", "fetch_raw", "on_postgis", "refresh_statistics", "register_version_now", "session_scope",
           "upgrade"]
