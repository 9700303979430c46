"""The sanigrid command: the same functions as the API, with exit codes and messages for people."""
import json

from gis_app.cli import cli


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "demo", "serve", "import", "export", "staffing"):
        assert f"  {command}" in result.output


def test_init_import_staffing_export(runner, files, tmp_path):
    assert runner.invoke(cli, ["init"]).exit_code == 0
    result = runner.invoke(cli, ["import", "regions", str(files["regions"])])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["import", "grids", str(files["grids"]), "--dry-run"])
    assert "would create 4" in result.output
    assert runner.invoke(cli, ["import", "grids", str(files["grids"])]).exit_code == 0
    table = runner.invoke(cli, ["staffing", "--community", "450203008001"])
    assert table.exit_code == 0 and "阳和社区" in table.output and "无人" in table.output
    data = json.loads(runner.invoke(cli, ["staffing", "--format", "json"]).output)
    assert len(data["grids"]) == 4
    out = tmp_path / "g.geojson"
    result = runner.invoke(cli, ["export", "grids", "--format", "geojson", "-o", str(out), "--district", "450203"])
    assert result.exit_code == 0 and json.loads(out.read_text(encoding="utf-8"))["features"]


def test_refused_import_exits_non_zero_and_lists_problems(runner, files, tmp_path):
    runner.invoke(cli, ["init"])
    result = runner.invoke(cli, ["import", "grids", str(files["grids"])])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output and "not in the register" in result.output


def test_missing_file_and_bad_region_code(runner):
    runner.invoke(cli, ["init"])
    assert "file not found" in runner.invoke(cli, ["import", "grids", "/nonexistent.geojson"]).output
    result = runner.invoke(cli, ["staffing", "--district", "45x"])
    assert result.exit_code == 1 and "digits only" in result.output


def test_python_m_gis_app_is_the_same_command():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "gis_app", "--help"], capture_output=True, text=True, check=True)
    assert "staffing" in out.stdout


def test_demo_loads_quietly_when_piped_and_refuses_to_overwrite(runner):
    result = runner.invoke(cli, ["demo", "--grids", "455", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "455 grids" in result.output and "\r" not in result.output and "it/s" not in result.output
    again = runner.invoke(cli, ["demo", "--grids", "455"])
    assert again.exit_code == 1 and "--replace" in again.output
    table = runner.invoke(cli, ["staffing", "--format", "csv"])
    assert table.output.count("unstaffed") == 1
