"""The ``sanigrid`` command: one click group calling the same functions as the API."""
from __future__ import annotations

import io
import json
import sys

import click

from .errors import REFUSED, SanigridError

__all__ = ["main", "cli"]


class _App:
    """Builds the Flask app on first use so ``--help`` stays fast."""

    def __init__(self):
        self._app = None

    @property
    def app(self):
        if self._app is None:
            from . import create_app
            self._app = create_app()
        return self._app

    @property
    def engine(self):
        return self.app.extensions["sanigrid.engine"]

    @property
    def settings(self):
        return self.app.config


pass_app = click.make_pass_decorator(_App, ensure=True)


def _one_region(district, street, community) -> str | None:
    """The one region of --district/--street/--community (grids.codes.one_region), a usage error when several."""
    from grids.codes import RegionChoiceError, one_region
    try:
        return one_region(district, street, community, spelling="--{}")
    except RegionChoiceError as exc:
        raise click.UsageError(str(exc)) from None


def _fail(exc):
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """sanigrid: grid-management GIS for city sanitation (网格化管理)."""


@cli.command()
@pass_app
def init(ctx: _App):
    """Create or upgrade the database schema."""
    from .storage import upgrade
    upgrade(ctx.settings["SANIGRID_DATABASE_URL"])
    click.echo(f"database ready: {ctx.settings['SANIGRID_DATABASE_URL']}")


@cli.command()
@click.option("--grids", "n_grids", default=600, show_default=True, type=click.IntRange(1, 200_000),
              help="number of grids to generate")
@click.option("--seed", default=0, show_default=True, type=int, help="random seed (same seed, same city)")
@click.option("--replace", is_flag=True, help="wipe the register first (the demo needs an empty one)")
@pass_app
def demo(ctx: _App, n_grids, seed, replace):
    """Generate and load the demo city (Liuzhou's five urban districts)."""
    from .demo_loader import load_demo
    from .storage import upgrade
    upgrade(ctx.settings["SANIGRID_DATABASE_URL"])
    try:
        summary = load_demo(ctx.engine, ctx.settings, n_grids=n_grids, seed=seed, replace=replace)
    except REFUSED as exc:
        _fail(exc)
    click.echo(summary)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_app
def serve(ctx: _App, host, port):
    """Serve the web app (development server; see the README for gunicorn)."""
    click.echo(f"sanigrid serving on http://{host}:{port}")
    ctx.app.run(host=host, port=port, threaded=True, use_reloader=False)


@cli.command("import")
@click.argument("layer", type=click.Choice(["regions", "grids", "people", "frontages", "places", "roads",
                                           "buildings", "inspections", "cases"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--crs", help="coordinates' CRS when the file does not say: EPSG:n, gcj02 or bd09")
@click.option("--encoding", help="text encoding of a Shapefile DBF or CSV, e.g. gbk")
@click.option("--codes", is_flag=True, help="FILE is a CSV code list (code,name) of regions")
@click.option("--dry-run", is_flag=True, help="validate and report what would change; write nothing")
@click.option("--make-valid", is_flag=True, help="repair invalid geometries instead of refusing them")
@pass_app
def import_(ctx: _App, layer, file, crs, encoding, codes, dry_run, make_valid):
    """Import a layer from GeoJSON, GeoPackage, Shapefile, CSV or xlsx: all or nothing, upserted by code or ref."""
    from .imports import import_file
    try:
        report = import_file(ctx.engine, ctx.settings, layer, file, crs=crs, encoding=encoding,
                             dry_run=dry_run, make_valid=make_valid, codes=codes)
    except REFUSED as exc:
        _fail(exc)
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(report.summary())


@cli.command()
@click.argument("layer", type=click.Choice(["regions", "grids", "people", "roles", "frontages", "places",
                                           "inspections", "cases"]))
@click.option("--format", "fmt", required=True, type=click.Choice(["geojson", "gpkg", "shp", "csv", "xlsx"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--district", help="only this district (6-digit code) or any region code")
@click.option("--encoding", help="Shapefile DBF encoding (default UTF-8; gbk for old GIS software)")
@pass_app
def export(ctx: _App, layer, fmt, output, district, encoding):
    """Export a layer to a GIS file or spreadsheet (inspections and cases: geojson, csv or xlsx)."""
    from .casework.files import RECORD_LAYERS, export_records
    from .exports import export_layer
    try:
        if layer in RECORD_LAYERS:
            count = export_records(ctx.engine, layer, fmt, output, district=district)
        else:
            count = export_layer(ctx.engine, layer, fmt, output, district=district, encoding=encoding)
    except REFUSED as exc:
        _fail(exc)
    click.echo(f"{layer}: {count} rows written to {output}")


@cli.command()
@click.option("--district")
@click.option("--street")
@click.option("--community")
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json", "csv"]))
@pass_app
def staffing(ctx: _App, district, street, community, fmt):
    """Print each grid's staffing status with a roll-up per region."""
    from .register import staffing_report
    region = _one_region(district, street, community)
    try:
        table, rollup = staffing_report(ctx.engine, ctx.settings, region)
    except REFUSED as exc:
        _fail(exc)
    click.echo(_render_staffing(table, rollup, fmt))


def _render_staffing(table, rollup, fmt) -> str:
    from grids.staffing import STATUS_LABELS
    from .textable import render_table
    if fmt == "json":
        return json.dumps({"grids": table.to_dict("records"), "rollup": rollup.to_dict("records")},
                          ensure_ascii=False, indent=1, default=int)
    if fmt == "csv":
        out = io.StringIO()
        flat = table.assign(shortfalls=table["shortfalls"].str.join(";"), messages=table["messages"].str.join("；"))
        flat.to_csv(out, index=False)
        return out.getvalue()
    roll = render_table(["级别", "编码", "名称", "网格", "齐全", "缺员", "无人", "户数", "保洁员(需)", "缺保洁员"],
                        [[r.level, r.code, r.name, r.grids, r.complete, r.short, r.unstaffed, r.households,
                          f"{r.cleaners}({r.required_cleaners})", r.cleaner_gap] for r in rollup.itertuples()])
    grids = render_table(["网格编码", "名称", "户数", "保洁员(需)", "状态", "缺项"],
                         [[g.code, g.name, g.households, f"{g.cleaners}({g.required_cleaners})",
                           STATUS_LABELS[g.status], "；".join(g.messages)] for g in table.itertuples()])
    return f"{roll}\n\n{grids}"


def _month_report(month_help: str):
    """The options of a month's report (kpis, evaluation): the month, at most one region, the format, the file."""
    def wrap(command):
        for option in reversed([
                click.option("--month", required=True, help=month_help), click.option("--district"),
                click.option("--street"), click.option("--community"),
                click.option("--format", "fmt", default="table", show_default=True,
                             type=click.Choice(["table", "json", "xlsx"])),
                click.option("-o", "--output", type=click.Path(dir_okay=False),
                             help="write to FILE (needed for xlsx)")]):
            command = option(command)
        return command
    return wrap


def _needs_file(fmt: str, output) -> None:
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a file: give -o FILE")


@cli.command()
@_month_report("the month, YYYY-MM: cases whose deadline falls in it")
@pass_app
def kpis(ctx: _App, month, district, street, community, fmt, output):
    """The month's case measures (月评指标) per grid, community, street, district, unit and person."""
    from .casework.measures import kpi_records, kpi_table
    region = _one_region(district, street, community)
    _needs_file(fmt, output)
    try:
        table = kpi_table(ctx.engine, ctx.settings, month, region)
        if fmt == "xlsx":
            from grids.fileio import write_table
            write_table(table, output, "xlsx", layer=f"kpis {month}")
    except REFUSED as exc:
        _fail(exc)
    if fmt == "xlsx":
        click.echo(f"kpis {month}: {len(table)} rows written to {output}")
    elif fmt == "json":
        text = json.dumps({"month": month, "region": region, "rows": kpi_records(table)}, ensure_ascii=False, indent=1)
        _emit(text, output)
    else:
        _emit(_render_kpis(table), output)


def _emit(text: str, output) -> None:
    if output:
        from pathlib import Path
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"written to {output}")
    else:
        click.echo(text)


def _render_kpis(table) -> str:
    from .casework.measures import LEVEL_LABELS
    from .textable import render_table

    def pct(value):
        return "" if value != value else f"{value:.2f}"
    if not len(table):
        return "no case is due in this month"
    return render_table(["级别", "编码", "名称", "应办结", "缓办", "办结", "按时办结", "办结率%", "按时办结率%", "返工率%",
                         "紧急办结率%", "紧急按时率%", "平均办结工作日"],
                        [[LEVEL_LABELS.get(r.level, r.level), r.code, r.name, r.due, r.deferred, r.closed,
                          r.closed_on_time, pct(r.closure_rate), pct(r.on_time_rate), pct(r.rework_rate),
                          pct(r.emergency_closure_rate), pct(r.emergency_on_time_rate), pct(r.mean_days_to_close)]
                         for r in table.itertuples()])


@cli.command()
@_month_report("the month, YYYY-MM")
@click.option("--publish", is_flag=True, help="freeze the ended month: later reads return these rows")
@pass_app
def evaluation(ctx: _App, month, district, street, community, fmt, output, publish):
    """The monthly evaluation (月评): score and city-wide rank of every community, street and unit."""
    from .casework import evaluation as monthly
    region = _one_region(district, street, community)
    if publish:
        if region or output or fmt != "table":
            raise click.UsageError("--publish freezes the whole city's month: give only --month")
        import getpass
        try:
            done = monthly.publish(ctx.engine, ctx.settings, month, f"cli:{getpass.getuser()}")
        except REFUSED as exc:
            _fail(exc)
        click.echo(f"evaluation {month}: {done['rows']} rows published at {done['published_at']}")
        return
    _needs_file(fmt, output)
    try:
        table, status = monthly.evaluation(ctx.engine, ctx.settings, month, region)
        if fmt == "xlsx":
            monthly.write_xlsx(table, output)
    except REFUSED as exc:
        _fail(exc)
    if fmt == "xlsx":
        click.echo(f"evaluation {month}: {len(table)} rows written to {output}")
    elif fmt == "json":
        _emit(json.dumps({**status, "region": region, "rows": monthly.evaluation_records(table)},
                         ensure_ascii=False, indent=1), output)
    else:
        _emit(_render_evaluation(table, status), output)


def _render_evaluation(table, status) -> str:
    from .casework.evaluation import EVALUATION_SHEETS, evaluation_records
    from .textable import render_table

    def number(value):
        return "" if value is None else f"{float(value):.2f}"

    def change(value):
        return "" if value is None else f"{int(value):+d}"
    head = (f"{status['month']} 已发布 published {status['published_at']} ({status['published_by']})"
            if status["published"] else f"{status['month']} 未发布 not published: computed now")
    rows = evaluation_records(table)
    if not rows:
        return f"{head}\nno inspection in this month"
    return head + "\n" + render_table(
        ["级别", "编码", "名称", "检查次数", "检查得分", "应办结", "案件得分", "综合得分", "排名", "名次变化"],
        [[EVALUATION_SHEETS[r["level"]], r["code"], r["name"], r["inspections"], number(r["inspection_score"]),
          r["cases_due"], number(r["case_score"]), number(r["score"]), r["rank"], change(r["rank_change"])]
         for r in rows])


@cli.command()
@click.option("--district")
@click.option("--street")
@click.option("--community")
@click.option("--regions", "regions_file", type=click.Path(dir_okay=False), help="check a plan: regions file")
@click.option("--grids", "grids_file", type=click.Path(dir_okay=False), help="check a plan: grids file")
@click.option("--code-field", default="code", show_default=True, help="property holding the codes in the files")
@click.option("--name-field", default="name", show_default=True, help="property holding the names in the files")
@click.option("--crs", help="the files' CRS when they do not say: EPSG:n, gcj02 or bd09")
@click.option("--encoding", help="text encoding of a Shapefile DBF or CSV, e.g. gbk")
@click.option("--make-valid", is_flag=True, help="repair invalid geometries in the files instead of refusing them")
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "csv", "xlsx", "geojson"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to FILE (needed for csv/xlsx/geojson)")
@pass_app
def gaps(ctx: _App, district, street, community, regions_file, grids_file, code_field, name_field, crs,
         encoding, make_valid, fmt, output):
    """Report coverage gaps: holes, slivers, overlaps, grids out of bounds, staffing shortfalls."""
    from .gap_output import write_report
    from .gap_report import file_gaps, register_gaps
    region = _one_region(district, street, community)
    if region and regions_file:
        raise click.UsageError("give at most one of --district, --street, --community, --regions")
    if bool(regions_file) != bool(grids_file):
        raise click.UsageError("--regions and --grids go together")
    if fmt in ("csv", "xlsx", "geojson") and not output:
        raise click.UsageError(f"--format {fmt} writes a file: give -o FILE")
    try:
        result = (file_gaps(ctx.settings, regions_file, grids_file, crs=crs, encoding=encoding,
                            code_field=code_field, name_field=name_field, make_valid=make_valid)
                  if regions_file else register_gaps(ctx.engine, ctx.settings, region))
        text = write_report(result, fmt, output)
    except REFUSED as exc:
        _fail(exc)
    click.echo(text if text is not None else f"gaps: {len(result.report.findings)} findings written to {output}")


@cli.command("assign-grids")
@click.option("--community", required=True, help="12-digit code of the community to tile")
@click.option("--buildings", type=click.Path(dir_okay=False),
              help="building footprints or address points (default: today's grids' households)")
@click.option("--roads", type=click.Path(dir_okay=False), help="roads (and rivers) grid edges should follow")
@click.option("--households-field", help="field holding each building's households (default: households, "
                                         "else an estimate from footprint area × floors)")
@click.option("--min-households", default=300, show_default=True, type=click.IntRange(1))
@click.option("--max-households", default=500, show_default=True, type=click.IntRange(1))
@click.option("--crs", help="the files' CRS when they do not say: EPSG:n, gcj02 or bd09")
@click.option("--encoding", help="text encoding of a Shapefile DBF or CSV, e.g. gbk")
@click.option("--seed", default=0, show_default=True, type=int, help="random seed of the search")
@click.option("--dry-run", is_flag=True, help="write the proposal and its diff to -o; change nothing")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write the proposal as GeoJSON")
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json"]))
@pass_app
def assign_grids_(ctx: _App, community, buildings, roads, households_field, min_households, max_households, crs,
                  encoding, seed, dry_run, output, fmt):
    """Draw grids that tile a community with balanced households (网格划分)."""
    from grids.assign import Bounds
    from .assignment import assign_grids, write_proposal
    if min_households > max_households:
        raise click.UsageError("--min-households must not exceed --max-households")
    if dry_run and not output:
        raise click.UsageError("--dry-run writes the proposal: give -o FILE")
    try:
        proposal = assign_grids(ctx.engine, ctx.settings, community, bounds=Bounds(min_households, max_households),
                                buildings=buildings, roads=roads, households_field=households_field, crs=crs,
                                encoding=encoding, dry_run=dry_run, seed=seed)
        if output:
            write_proposal(proposal, output)
    except REFUSED as exc:
        _fail(exc)
    click.echo(_render_grid_proposal(proposal, fmt))


def _render_grid_proposal(proposal, fmt) -> str:
    from .textable import render_table
    report = proposal.report
    if fmt == "json":
        return json.dumps({"report": report, "diff": proposal.diff.to_dict("records"), "retired": proposal.retired,
                           "notes": proposal.notes,
                           "import": proposal.imported.as_dict() if proposal.imported else None},
                          ensure_ascii=False, indent=1, default=int)
    lines = [f"note: {n}" for n in proposal.notes]
    lines.append(f"网格 grids: {report['grids']} (within bounds {report['within_bounds']}); households per grid "
                 f"min {report['households_min']} max {report['households_max']} CV {report['households_cv']}; "
                 f"mean Polsby-Popper {report['polsby_popper_mean']}")
    grids = proposal.grids.set_index("code")
    lines.append(render_table(["网格编码", "变更", "户数", "迁入户数", "紧凑度PP", "说明"],
                              [[d.code, d.change, d.households, d.households_moved_in,
                                grids.at[d.code, "polsby_popper"] if d.code in grids.index else "",
                                grids.at[d.code, "bounds_reason"] if d.code in grids.index else ""]
                               for d in proposal.diff.itertuples()]))
    if proposal.imported:
        lines += [f"note: {n}" for n in proposal.imported.notes] + [proposal.imported.summary()]
    else:
        lines.append("dry run: nothing written")
    return "\n".join(lines)


@cli.command("assign-staff")
@click.option("--district")
@click.option("--street")
@click.option("--community")
@click.option("--people", "people_file", required=True, type=click.Path(dir_okay=False),
              help="roster CSV/xlsx: phone, name, kinds, lon, lat, capacity")
@click.option("--max-grids-per-person", type=click.IntRange(1),
              help="posts one person may hold (default: SANIGRID_MAX_GRIDS_PER_PERSON)")
@click.option("--encoding", help="text encoding of the CSV, e.g. gbk")
@click.option("--dry-run", is_flag=True, help="report the plan and its shortfalls; write nothing")
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json", "csv"]))
@pass_app
def assign_staff_(ctx: _App, district, street, community, people_file, max_grids_per_person, encoding, dry_run,
                  fmt):
    """Staff grids by the rules with an exact min-cost flow (leader, cleaners A/B, the five kinds)."""
    from .assignment import assign_staff_to_grids
    region = _one_region(district, street, community)
    limit = max_grids_per_person or int(ctx.settings["SANIGRID_MAX_GRIDS_PER_PERSON"])
    try:
        proposal = assign_staff_to_grids(ctx.engine, ctx.settings, region, people_file,
                                         max_grids_per_person=limit, encoding=encoding, dry_run=dry_run)
    except REFUSED as exc:
        _fail(exc)
    click.echo(_render_staff_proposal(proposal, fmt))


def _render_staff_proposal(proposal, fmt) -> str:
    from grids.roles import ROLE_LABELS
    from .textable import render_table
    if fmt == "json":
        return json.dumps({"figures": proposal.figures, "roles": proposal.roles.to_dict("records"),
                           "shortfalls": proposal.shortfalls.to_dict("records"),
                           "import": proposal.imported.as_dict() if proposal.imported else None},
                          ensure_ascii=False, indent=1, default=int)
    if fmt == "csv":
        out = io.StringIO()
        proposal.roles.to_csv(out, index=False)
        return out.getvalue()
    f = proposal.figures
    lines = [f"posts {f['posts']}, filled {f['filled']}, kept from today {f['kept']} of {f['kept_before']}, "
             f"people used {f['people_used']} of {f['people']}, total travel {f['distance_m_total'] / 1000:.1f} km"]
    if len(proposal.shortfalls):
        lines.append(render_table(["网格编码", "岗位", "需", "已配", "原因"],
                                  [[s.grid, ROLE_LABELS[s.role], s.needed, s.filled, s.why]
                                   for s in proposal.shortfalls.itertuples()]))
    else:
        lines.append("no shortfall: every post is filled")
    lines.append(proposal.imported.summary() if proposal.imported else "dry run: nothing written")
    return "\n".join(lines)


@cli.command()
@click.option("--reports", "folder", required=True, type=click.Path(file_okay=False),
              help="folder of monthly GeoParquet report files (reports-YYYY-MM.parquet)")
@click.option("--scheduler", help="run on this dask.distributed scheduler (e.g. tcp://10.0.0.5:8786)")
@click.option("--local-workers", type=click.IntRange(1, 256), help="run on a dask LocalCluster of N processes")
@click.option("--z", "z", default=2.0, show_default=True, type=click.FloatRange(0, 100),
              help="standard deviations above the month's mean")
@click.option("--min-reports", default=5, show_default=True, type=click.IntRange(1, 10**9))
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "csv", "json"]))
@pass_app
def hotspots(ctx: _App, folder, scheduler, local_workers, z, min_reports, fmt):
    """Flag hotspot grid-months in a year (or years) of problem reports, in one process or on dask."""
    from .register import grid_index
    from .textable import render_table
    if scheduler and local_workers:
        raise click.UsageError("give at most one of --scheduler, --local-workers")
    index = grid_index(ctx.engine)
    if not len(index):
        _fail(SanigridError("the register has no grids: import grids first"))
    try:
        table = _hotspots(index, folder, scheduler, local_workers, z, min_reports)
    except (OSError, ValueError) as exc:  # missing folder, unreadable or malformed Parquet
        _fail(SanigridError(f"cannot read the reports in {folder}: {exc}"))
    if fmt == "json":
        click.echo(table.to_json(orient="records", force_ascii=False))
    elif fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    else:
        click.echo(render_table(["网格编码", "月份", "报告数", "当月平均", "z"],
                                [[r.grid, r.month, r.reports, f"{r.mean:.2f}", f"{r.z:.2f}"]
                                 for r in table.itertuples()]))


def _hotspots(index, folder, scheduler, local_workers, z, min_reports):
    from grids.hotspots import hotspots_of, read_reports
    if not (scheduler or local_workers):
        return hotspots_of(index, read_reports(folder), z, min_reports)
    from distributed import Client, LocalCluster
    from grids.distributed import hotspots_on_cluster
    if scheduler:
        with Client(scheduler) as client:
            return hotspots_on_cluster(client, index, folder, z, min_reports)
    with LocalCluster(n_workers=local_workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return hotspots_on_cluster(client, index, folder, z, min_reports)


@cli.group()
def frontages():
    """门前三包 frontages: derive the zones in front of buildings along the roads."""


@frontages.command("derive")
@click.option("--buildings", required=True, type=click.Path(dir_okay=False),
              help="building footprints (an OSM *_multipolygons.geojson too: areas tagged building)")
@click.option("--roads", required=True, type=click.Path(dir_okay=False),
              help="road centrelines with kind main/lane (an OSM *_lines.geojson too: kind from highway)")
@click.option("--apply", is_flag=True, help="import the derived zones as frontages (status not_visited)")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write the derived zones as GeoJSON")
@click.option("--unit-kind", default="individual", show_default=True,
              type=click.Choice(["government", "association", "enterprise", "individual"]),
              help="the unit kind the derived frontages get")
@click.option("--crs", help="the files' CRS when they do not say: EPSG:n, gcj02 or bd09")
@click.option("--encoding", help="text encoding of a Shapefile DBF or CSV, e.g. gbk")
@pass_app
def frontages_derive(ctx: _App, buildings, roads, apply, output, unit_kind, crs, encoding):
    """Derive frontage zones from footprints and roads (to the kerb on main roads, the centreline on lanes)."""
    from .frontage_derive import derive_frontages, write_fronts
    if not apply and not output:
        raise click.UsageError("a dry run writes the derived zones: give -o FILE (or --apply to import them)")
    try:
        result = derive_frontages(ctx.engine, ctx.settings, buildings, roads, unit_kind=unit_kind, crs=crs,
                                  encoding=encoding, apply=apply)
        if output:
            write_fronts(result, output)
    except REFUSED as exc:
        _fail(exc)
    for note in result.notes + (result.imported.notes if result.imported else []):
        click.echo(f"note: {note}")
    if output:
        click.echo(f"frontages: {len(result.fronts)} derived zone(s) written to {output}")
    click.echo(result.imported.summary() if result.imported else "dry run: nothing imported")


@cli.group()
def token():
    """Create, list and revoke API tokens."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["admin", "editor", "viewer"]))
@click.option("--district", help="limit writes to this district (6-digit code)")
@click.option("--name", help="who holds the token (shown in the audit log)")
@pass_app
def token_create(ctx: _App, role, district, name):
    """Create a token and print it once: only its SHA-256 digest is stored."""
    from .auth import create_token
    try:
        token_id, secret = create_token(ctx.engine, role, district=district, name=name)
    except REFUSED as exc:
        _fail(exc)
    click.echo(f"token {token_id} ({role}{' in ' + district if district else ''}); shown once, keep it safe:",
               err=True)
    click.echo(secret)


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_app
def token_revoke(ctx: _App, token_id):
    """Revoke a token by its id."""
    from .auth import revoke_token
    try:
        revoke_token(ctx.engine, token_id)
    except REFUSED as exc:
        _fail(exc)
    click.echo(f"token {token_id} revoked")


@token.command("list")
@pass_app
def token_list(ctx: _App):
    """List tokens (never their secrets)."""
    from .auth import list_tokens
    for t in list_tokens(ctx.engine):
        click.echo(f"{t['id']}\t{t['role']}\t{t['district'] or '-'}\t{t['name']}\t"
                   f"{'revoked' if t['revoked'] else 'active'}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_app
def backup(ctx: _App, file):
    """Write a consistent backup of the whole database (SQLite file or pg_dump archive)."""
    from .backup import backup as write_backup
    try:
        backend = write_backup(ctx.engine, file)
    except REFUSED as exc:
        _fail(exc)
    click.echo(f"{backend} backup written to {file}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.confirmation_option(prompt="restore replaces the whole database; go on?")
@pass_app
def restore(ctx: _App, file):
    """Replace the whole database with a backup of the same backend (--yes to skip the question)."""
    from .backup import restore as read_backup
    try:
        backend = read_backup(ctx.engine, file)
    except REFUSED as exc:
        _fail(exc)
    click.echo(f"{backend} database restored from {file}")


from .cli_users import user  # noqa: E402  (the group needs cli defined)

cli.add_command(user)


def main():
    """Entry point of the console script."""
    cli(prog_name="sanigrid")
