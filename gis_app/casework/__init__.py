"""Inspections and rectification cases in the app: record, act, read, measure, import and export.

The rules are :mod:`grids.cases`, :mod:`grids.checklists`, :mod:`grids.workdays` and
:mod:`grids.kpis`; the tables are :mod:`gis_app.storage.cases`. Each write here is one
transaction, validated whole before it starts.
"""
