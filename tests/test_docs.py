"""The README keeps up with the code: every command, option of note and setting is documented."""
from pathlib import Path

import pytest

from gis_app.cli import cli
from gis_app.config import ENV_SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command):
    assert f"sanigrid {command}" in README


@pytest.mark.parametrize("setting", sorted(ENV_SETTINGS))
def test_every_setting_is_documented(setting):
    assert f"`{setting}`" in README


def test_the_two_commands_are_documented():
    assert "make demo" in README and "make test" in README
