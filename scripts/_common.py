"""What every batch script shares: the register from the environment, exit codes, refusals, progress.

Exit codes: 0 done, 1 findings (something to look at: a refused file, an unfilled post ...),
2 refused (bad arguments or input: one line on stderr, nothing changed, no traceback).
"""
from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

DONE, FINDINGS, REFUSED = 0, 1, 2

__all__ = ["DONE", "FINDINGS", "REFUSED", "parser", "open_register", "refuse", "run", "progress"]

_EPILOG = ("退出码 exit codes: 0 完成 done, 1 有发现 findings, 2 拒绝 refused (bad input). "
           "数据库取自 SANIGRID_DATABASE_URL / SANIGRID_INSTANCE, as for the sanigrid command.")


def parser(description: str) -> argparse.ArgumentParser:
    """An argparse parser with the exit codes in its help."""
    return argparse.ArgumentParser(description=description, epilog=_EPILOG,
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def open_register():
    """(engine, settings) of the register the environment names, as ``sanigrid`` opens it."""
    from gis_app.config import load_settings
    from gis_app.storage import engine_for
    settings = load_settings()
    return engine_for(settings["SANIGRID_DATABASE_URL"]), settings


def refuse(message: str):
    """Refuse the run: the reason on stderr, exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(REFUSED)


def progress(items, desc: str, **options):
    """A progress bar on a terminal, nothing when piped or under test (tqdm's disable=None)."""
    return tqdm(items, desc=desc, disable=None, **options)


def run(main) -> None:
    """Run ``main()`` (returns an exit code); a refused input (SanigridError) exits 2 with its message."""
    from gis_app.errors import SanigridError
    try:
        code = main()
    except SanigridError as exc:
        refuse(str(exc))
    sys.exit(code)
