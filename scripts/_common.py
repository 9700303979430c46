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


class _Help(argparse.RawDescriptionHelpFormatter):
    """The description as written (Chinese and English lines), and a default only where there is one."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text:
            text += " (默认 default: %(default)s)"
        return text


def parser(description: str) -> argparse.ArgumentParser:
    """An argparse parser with the exit codes in its help."""
    return argparse.ArgumentParser(description=description, epilog=_EPILOG, formatter_class=_Help)


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
    """Run ``main()`` (returns an exit code); refused input or an unwritable output exits 2 with its message."""
    from gis_app.errors import SanigridError
    from grids.codes import CodeError
    from grids.crs import CRSError
    from grids.fileio import FileFormatError
    from grids.geojson_ import GeoJSONError
    try:
        code = main()
    except (SanigridError, CodeError, CRSError, FileFormatError, GeoJSONError) as exc:  # the typed refusals
        refuse(str(exc))
    except OSError as exc:  # an output folder that cannot be written, a file that vanished
        refuse(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    sys.exit(code)
