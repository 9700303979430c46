"""The README and docs/ keep up with the code.

Every command and setting is in the README; every `sanigrid …` command, option and choice, `make`
target, SANIGRID_* variable, repository path, dotted Python name, local URL and relative link named
in README.md or docs/*.md exists; the README fits one screen (150 lines) and links every docs page.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest

from gis_app.cli import cli
from gis_app.config import ENV_SETTINGS

REPO = Path(__file__).resolve().parents[1]
README_PATH = REPO / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOCS = [README_PATH, *sorted((REPO / "docs").glob("*.md"))]
TEXTS = {path: path.read_text(encoding="utf-8") for path in DOCS}
HELP = {"--help", "-h"}


def _leaf_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    out = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out.update(_leaf_commands(command, f"{prefix}{name} "))
        else:
            out[f"{prefix}{name}"] = command
    return out


COMMANDS = _leaf_commands(cli)


def _code(text: str) -> list[str]:
    """Fenced blocks (comments cut, continuation lines joined) and inline code spans, `\\|` read as `|`."""
    pieces = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        joined = re.sub(r"\\\n\s*", " ", block)
        pieces += [re.sub(r"\s#\s.*$", "", line) for line in joined.splitlines()]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    pieces += re.findall(r"`([^`]+)`", prose)
    return [piece.replace("\\|", "|") for piece in pieces]


def _named(pattern: str) -> list[tuple[str, str]]:
    """(doc name, match) for every match of ``pattern`` in the code of README.md and docs/*.md."""
    return [(path.relative_to(REPO).as_posix(), m) for path, text in TEXTS.items()
            for piece in _code(text) for m in re.findall(pattern, piece)]


def _sanigrid_calls() -> list[tuple[str, list[str]]]:
    calls = []
    for doc, rest in _named(r"(?:^|[\s(])sanigrid ([^;&>]*)"):
        words = rest.replace("|", " | ").split()
        calls.append((doc, words))
    return calls


def _placeholder(word: str) -> bool:
    return word.isupper() or word.startswith(("<", "$", "[...", "…")) or word in {"...", "…", "|"}


def _check_call(words: list[str]) -> list[str]:
    """What in one `sanigrid …` text is not in the CLI: the command, an option, a choice."""
    if not words or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
        return []  # `sanigrid` alone, `sanigrid COMMAND --help`
    name = words[0]
    if isinstance(cli.commands.get(name), click.Group) and len(words) > 1:
        name = f"{name} {words[1]}"
    command = COMMANDS.get(name)
    if command is None:
        return [f"no command {name!r}"]
    words = [w.strip("[]()`,.") for w in words[len(name.split()):]]
    options = {opt: param for param in command.params for opt in param.opts if opt.startswith("-")}
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    problems, expecting, target, alternative = [], None, None, False
    for word in filter(None, words):
        if word == "|":                       # `a|b`: b is another value for what a was
            alternative = True
            continue
        if word.startswith("-") and re.fullmatch(r"--?[a-zA-Z][\w-]*(=.*)?", word):
            opt = word.split("=")[0]
            if opt not in options and opt not in HELP:
                problems.append(f"{name}: no option {opt}")
            param = options.get(opt)
            expecting = param if param is not None and not param.is_flag else None
            alternative = False
            continue
        if not alternative:
            target = expecting or (arguments.pop(0) if arguments else None)
        expecting, alternative = None, False
        if target is not None and isinstance(target.type, click.Choice) and not _placeholder(word):
            if word not in target.type.choices:
                problems.append(f"{name}: {target.name} has no choice {word!r}")
    return problems


def test_the_readme_fits_one_screen():
    assert len(README.splitlines()) <= 150


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command):
    assert f"`sanigrid {command}" in README


@pytest.mark.parametrize("setting", sorted(ENV_SETTINGS))
def test_every_setting_is_in_the_readme(setting):
    assert f"| `{setting}` |" in README


def test_the_two_commands_are_in_the_readme():
    assert "make demo" in README and "make test" in README


def test_the_readme_links_every_docs_page():
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)", README))
    assert linked == {path.name for path in DOCS[1:]}


def test_every_sanigrid_command_option_and_choice_in_the_docs_exists():
    calls = _sanigrid_calls()
    assert len(calls) > 50, "the docs name the CLI often; the parser found too few"
    problems = [f"{doc}: {p}" for doc, words in calls for p in _check_call(words)]
    assert problems == []


def test_the_call_check_finds_what_the_cli_lacks():
    assert _check_call(["gaps", "--district", "450203", "--format", "xlsx", "-o", "FILE"]) == []
    assert _check_call(["gaps", "--distrikt", "450203"]) == ["gaps: no option --distrikt"]
    assert _check_call(["export", "parcels", "--format", "kml"]) == [
        "export: layer has no choice 'parcels'", "export: fmt has no choice 'kml'"]
    assert _check_call(["token", "burn"]) == ["no command 'token burn'"]


def test_every_make_target_in_the_docs_exists():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    named = _named(r"(?:^|\s)make ([a-z][\w-]*)")
    assert named and [(doc, t) for doc, t in named if t not in targets] == []


def test_every_sanigrid_variable_in_the_docs_is_read_by_the_code():
    conftest = (REPO / "tests" / "conftest.py").read_text(encoding="utf-8")
    named = {(doc, v) for path, text in TEXTS.items()
             for v in re.findall(r"SANIGRID_[A-Z0-9_]+", text) for doc in [path.name]}
    assert [(doc, v) for doc, v in sorted(named) if v not in ENV_SETTINGS and f'"{v}"' not in conftest] == []


def test_every_repository_path_in_the_docs_exists():
    ignored = tuple(line.strip() for line in (REPO / ".gitignore").read_text().splitlines() if "/" in line.strip("/"))
    named = _named(r"^((?:gis_app|grids|layers|static|scripts|tests|bench|docs)/[^\s<{]+)$")
    assert len(named) > 20
    missing = [(doc, p) for doc, p in named if not p.startswith(ignored) and not list(REPO.glob(p.rstrip("/")))]
    assert missing == []


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_dotted_python_name_in_the_docs_exists():
    named = _named(r"^((?:gis_app|grids|layers)(?:\.[A-Za-z_]\w*)+)$")
    assert len(named) > 10
    assert [(doc, d) for doc, d in named if not _resolves(d)] == []


def test_every_local_url_in_the_docs_is_a_route(tmp_path):
    from gis_app import create_app
    app = create_app({"SANIGRID_INSTANCE": str(tmp_path)})
    adapter = app.url_map.bind("127.0.0.1:8000")
    urls = {(path.name, u) for path, text in TEXTS.items()
            for u in re.findall(r"http://127\.0\.0\.1:8000(/[^\s`'|)?]*)", text)}
    assert len(urls) > 5
    unrouted = []
    for doc, url in sorted(urls):
        try:
            adapter.match(url, method="GET")
        except Exception as exc:  # NotFound, or RequestRedirect (still a route) is fine below
            if exc.__class__.__name__ != "RequestRedirect":
                unrouted.append((doc, url))
    assert unrouted == []


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    prose = re.sub(r"^```.*?^```", "", TEXTS.get(path) or path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", prose, flags=re.M)}


def test_every_relative_link_in_the_docs_resolves():
    checked, broken = 0, []
    for path, text in TEXTS.items():
        prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            checked += 1
            if not resolved.exists():
                broken.append((path.name, target))
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append((path.name, target))
    assert checked > 30 and broken == []


def test_the_slug_is_githubs():
    assert _slug("Batch analysis on dask.distributed") == "batch-analysis-on-daskdistributed"
    assert _slug("How it is computed: shapely's coverage functions") == "how-it-is-computed-shapelys-coverage-functions"
    assert _slug("REST API (`/api/v1`)") == "rest-api-apiv1"
