"""Hotspots: counting reports per grid and month, flagging, and the dask cluster path's identical answer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from grids.demo.reports import year_of_reports
from grids.hotspots import count_reports, hotspots, hotspots_of, locate_reports, read_reports, write_reports
from grids.locate import GridIndex

# Ten 0.01° cells in a row near Liuzhou: g0 … g9.
CELLS = [shapely.box(109.40 + i * 0.01, 24.30, 109.41 + i * 0.01, 24.31) for i in range(10)]
INDEX = GridIndex([f"g{i}" for i in range(10)], CELLS)


def reports_in(cell: int, n: int, month: str) -> pd.DataFrame:
    x0 = 109.40 + cell * 0.01
    return pd.DataFrame({"lon": np.linspace(x0 + 0.001, x0 + 0.009, n), "lat": np.full(n, 24.305),
                         "at": pd.Timestamp(f"{month}-15 08:30")})


def test_counts_per_grid_and_month_and_outside_reports_dropped():
    outside = pd.DataFrame({"lon": [109.0], "lat": [24.0], "at": [pd.Timestamp("2026-01-02")]})
    reports = pd.concat([reports_in(0, 10, "2026-01"), reports_in(1, 1, "2026-01"), reports_in(0, 3, "2026-02"),
                         outside], ignore_index=True)
    located = locate_reports(INDEX, reports)
    assert len(located) == 14
    counts = count_reports(located).set_index(["grid", "month"])["reports"].to_dict()
    assert counts == {("g0", "2026-01"): 10, ("g1", "2026-01"): 1, ("g0", "2026-02"): 3}


def test_a_hotspot_is_many_reports_and_z_above_the_months_mean_over_all_grids():
    reports = pd.concat([reports_in(0, 10, "2026-01"), reports_in(1, 1, "2026-01")], ignore_index=True)
    flagged = hotspots_of(INDEX, reports)
    counts = np.array([10, 1] + [0] * 8, dtype=float)  # every grid weighs in, zeros included
    expected_z = (10 - counts.mean()) / counts.std()
    assert expected_z >= 2
    assert flagged["grid"].tolist() == ["g0"]
    assert flagged.loc[0, "z"] == pytest.approx(expected_z)
    # with only three grids the same counts are not exceptional
    few = GridIndex(["g0", "g1", "g2"], CELLS[:3])
    assert hotspots_of(few, reports).empty
    # fewer than min_reports is never a hotspot
    assert hotspots_of(INDEX, reports, min_reports=11).empty


def test_partial_counts_from_partitions_are_summed_before_flagging():
    whole = count_reports(locate_reports(INDEX, reports_in(0, 10, "2026-03")))
    split = pd.concat([whole.assign(reports=4), whole.assign(reports=6)], ignore_index=True)
    pd.testing.assert_frame_equal(hotspots(split, 10), hotspots(whole, 10))
    with pytest.raises(ValueError):
        hotspots(whole, 0)


def test_reports_round_trip_through_monthly_geoparquet(tmp_path):
    reports = year_of_reports(CELLS, 2_000, seed=3)
    files = write_reports(reports, tmp_path)
    assert len(files) == 12
    back = read_reports(tmp_path).sort_values(["at", "lon"], ignore_index=True)
    expected = reports.sort_values(["at", "lon"], ignore_index=True)
    np.testing.assert_array_equal(back[["lon", "lat"]].to_numpy(), expected[["lon", "lat"]].to_numpy())
    assert (back["at"].to_numpy() == expected["at"].to_numpy()).all()
    with pytest.raises(FileNotFoundError):
        read_reports(tmp_path / "none")


def test_generated_year_lies_in_the_year_and_mostly_in_grids():
    reports = year_of_reports(CELLS, 5_000, seed=1)
    assert reports["at"].min() >= pd.Timestamp("2026-01-01")
    assert reports["at"].max() < pd.Timestamp("2027-01-01")
    inside = INDEX.locate_xy(reports["lon"].to_numpy(), reports["lat"].to_numpy()) != None  # noqa: E711
    assert inside.sum() == 5_000 - 50


@pytest.mark.slow
def test_dask_local_cluster_gives_the_single_process_answer(tmp_path):
    from distributed import Client, LocalCluster

    from grids.distributed import hotspots_on_cluster

    cells = [shapely.box(109.3 + i * 0.004, 24.2 + j * 0.003, 109.304 + i * 0.004, 24.203 + j * 0.003)
             for i in range(30) for j in range(30)]
    index = GridIndex([f"c{n:03d}" for n in range(len(cells))], cells)
    write_reports(year_of_reports(cells, 60_000, seed=2), tmp_path)
    single = hotspots_of(index, read_reports(tmp_path))
    assert len(single) > 10
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        spread = hotspots_on_cluster(client, index, tmp_path)
    pd.testing.assert_frame_equal(spread, single)


def _tiny_city_reports(app, tmp_path):
    """A year of reports over the register's own grids (as stored), and that register's index."""
    from gis_app.register import grid_index
    index = grid_index(app.extensions["sanigrid.engine"])
    folder = tmp_path / "reports"
    write_reports(year_of_reports(index.geometries, 3_000, seed=5), folder)
    return index, folder


def test_cli_hotspots_of_the_register_match_the_library(loaded, runner, tmp_path):
    import json

    from gis_app.cli import cli
    index, folder = _tiny_city_reports(loaded, tmp_path)
    expected = hotspots_of(index, read_reports(folder), z=1.0)
    assert len(expected) > 0
    result = runner.invoke(cli, ["hotspots", "--reports", str(folder), "--z", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert [(r["grid"], r["month"], r["reports"]) for r in got] == \
        list(zip(expected["grid"], expected["month"], expected["reports"]))
    table = runner.invoke(cli, ["hotspots", "--reports", str(folder), "--z", "1"])
    assert table.exit_code == 0 and "网格编码" in table.output and expected["grid"][0] in table.output


def test_cli_hotspots_refuses_bad_input_clearly(loaded, runner, tmp_path):
    from gis_app.cli import cli
    missing = runner.invoke(cli, ["hotspots", "--reports", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "error:" in missing.output and "Traceback" not in missing.output
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "reports-2026-01.parquet").write_bytes(b"not parquet at all")
    bad = runner.invoke(cli, ["hotspots", "--reports", str(junk)])
    assert bad.exit_code == 1 and "cannot read the reports" in bad.output
    both = runner.invoke(cli, ["hotspots", "--reports", str(junk), "--scheduler", "tcp://x:1", "--local-workers", "2"])
    assert both.exit_code == 2


def test_cli_hotspots_needs_grids(app, runner, tmp_path):
    from gis_app.cli import cli
    result = runner.invoke(cli, ["hotspots", "--reports", str(tmp_path)])
    assert result.exit_code == 1 and "no grids" in result.output


@pytest.mark.slow
def test_cli_hotspots_on_a_local_cluster_match_one_process(loaded, runner, tmp_path):
    from gis_app.cli import cli
    _, folder = _tiny_city_reports(loaded, tmp_path)
    one = runner.invoke(cli, ["hotspots", "--reports", str(folder), "--z", "1", "--format", "csv"])
    spread = runner.invoke(cli, ["hotspots", "--reports", str(folder), "--z", "1", "--format", "csv",
                                 "--local-workers", "2"])
    assert one.exit_code == 0 and spread.exit_code == 0, spread.output
    assert spread.output == one.output and one.output.count("\n") > 1
