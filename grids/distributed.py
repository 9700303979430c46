"""Batch analysis on a dask.distributed cluster: the same kernels as the single-process path.

A :class:`~distributed.LocalCluster` on one machine and a scheduler address of many machines
run the same code: dask-geopandas reads the GeoParquet report files on the workers (one
partition per month file, see :func:`grids.hotspots.write_reports`), every worker gets the
grid index once (scattered, not shipped with each task), locates and counts its partition,
and the small count tables are summed and flagged on the client.
"""
from __future__ import annotations

import pandas as pd

from .hotspots import HOTSPOT_Z, MIN_REPORTS, count_reports, hotspots, locate_reports, reports_from_points
from .locate import GridIndex

__all__ = ["hotspots_on_cluster"]

_COUNTS_META = pd.DataFrame({"grid": pd.Series(dtype="object"), "month": pd.Series(dtype="object"),
                             "reports": pd.Series(dtype="int64")})


def _count_partition(points, index: GridIndex) -> pd.DataFrame:
    return count_reports(locate_reports(index, reports_from_points(points)))


def hotspots_on_cluster(client, index: GridIndex, folder, z: float = HOTSPOT_Z,
                        min_reports: int = MIN_REPORTS) -> pd.DataFrame:
    """Flag hotspots of the report files in ``folder`` on ``client``'s workers; same answer as ``hotspots_of``.

    ``client`` is a :class:`distributed.Client` of a LocalCluster or a remote scheduler; on many
    machines ``folder`` must be storage every worker reads (a shared file system or object store).
    """
    import dask_geopandas

    points = dask_geopandas.read_parquet(str(folder))
    [index_future] = client.scatter([index], broadcast=True)
    counts = points.map_partitions(_count_partition, index_future, meta=_COUNTS_META)
    return hotspots(client.compute(counts).result(), len(index), z, min_reports)
