"""Request bodies: the one JSON parser (orjson, depth-bounded: grids.limits) for every API blueprint.

webargs parses JSON bodies with the standard library by default, which accepts NaN and Infinity
and recurses in C until a body ~1,000 levels deep raises RecursionError (a 500). The blueprints
of /api/v1 are this module's :class:`Blueprint`, whose parser reads bodies with
:func:`grids.limits.loads_json` and answers 400 problem+json naming what is wrong.
"""
from __future__ import annotations

import flask_smorest

from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from grids.limits import JSONInputError, loads_json

__all__ = ["Blueprint", "BodyParser"]


class BodyParser(FlaskParser):
    """webargs' Flask parser with the register's JSON parser."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        try:
            return loads_json(data)
        except JSONInputError as exc:
            abort(400, exc=exc, messages={"json": [str(exc)]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, its arguments read by :class:`BodyParser`."""

    ARGUMENTS_PARSER = BodyParser()
