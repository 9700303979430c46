"""sanigrid's Flask application: the app factory wires settings, storage and blueprints."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

__all__ = ["create_app", "STATIC_FOLDER"]


def _static_folder() -> Path:
    """Everything a browser is served: the checkout's top-level static/, which a wheel ships as gis_app/static."""
    package = Path(__file__).resolve().parent
    checkout = package.parent
    if (checkout / "setup.cfg").is_file() and (checkout / "static").is_dir():
        return checkout / "static"        # a checkout or an editable install
    return package / "static"             # an installed wheel (setup.cfg: package_dir gis_app.static = static)


STATIC_FOLDER = _static_folder()


class OrjsonProvider(DefaultJSONProvider):
    """Serialise with orjson: fast, strict (no NaN), UTF-8 Chinese kept as text."""

    def dumps(self, obj, **kwargs):
        import orjson
        return orjson.dumps(obj, default=self.default,
                            option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()

    def loads(self, s, **kwargs):
        """The one JSON parser of the app: orjson, at most grids.limits.MAX_JSON_DEPTH levels deep."""
        from grids.limits import loads_json
        return loads_json(s)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance folder and SANIGRID_* environment, then ``config``."""
    from .config import load_settings
    from .errors import register_error_handlers
    from .storage import engine_for
    from .views import pages

    settings = load_settings(config)
    # static/ (viewer JS/CSS, vendored Leaflet) is served at /static: the map works with no internet.
    app = Flask(__name__, instance_path=settings["SANIGRID_INSTANCE"], static_folder=str(STATIC_FOLDER))
    app.json = OrjsonProvider(app)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["SANIGRID_MAX_IMPORT_BYTES"]
    app.extensions["sanigrid.engine"] = engine_for(settings["SANIGRID_DATABASE_URL"])
    from .storage.routing import init_routing
    init_routing(app)  # GET requests read SANIGRID_DATABASE_REPLICA_URL when it is set
    register_error_handlers(app)
    from .access import init_access
    from .sessions import init_sessions
    from .views import signin
    init_sessions(app)
    init_access(app)  # identifies and checks the caller before any other hook or body parser
    from .redact import init_redaction
    init_redaction(app)
    app.register_blueprint(signin.bp)
    from .views.i18n import init_app as init_i18n
    init_i18n(app)  # every page's header: navigation, language switch
    from .security import init_security
    init_security(app)  # CSP with a per-request nonce and nosniff on every response
    app.register_blueprint(pages.bp)
    from .api import init_api
    init_api(app)
    from .views import gaps
    app.register_blueprint(gaps.bp)
    from .views import grid_page, viewer
    app.register_blueprint(viewer.bp)
    app.register_blueprint(grid_page.bp)
    from .views import inspect
    app.register_blueprint(inspect.bp)
    from .views import photos
    app.register_blueprint(photos.bp)
    from .views import evaluation
    app.register_blueprint(evaluation.bp)
    from .views import case_notice, case_pages
    app.register_blueprint(case_pages.bp)
    app.register_blueprint(case_notice.bp)
    from .ogc import init_ogc
    init_ogc(app)
    return app
