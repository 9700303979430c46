"""schemathesis against /api/v1/openapi.json: no 5xx, every response as the document says (bounded)."""
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from gis_app import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


def _operations() -> list[tuple[str, str]]:
    folder = tempfile.mkdtemp(prefix="sanigrid-openapi-")
    app = create_app({"SANIGRID_INSTANCE": folder, "SANIGRID_DATABASE_URL": f"sqlite:///{folder}/spec.sqlite"})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("method, path", _operations())
def test_operation_conforms_to_the_openapi_document(loaded, token, method, path, mode):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", loaded)[path][method]
    admin = token("admin")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=admin, checks=CHECKS)

    run()


def test_stateful_links_conform(loaded, engine, files, token):
    """Follow the document's links (POST grids -> GET/PATCH/PUT/DELETE grids/{code}, people likewise).

    Every scenario starts from the tiny city as loaded: Hypothesis replays scenarios, and one that
    met the grids an earlier scenario created (a POST of the same code answers 409) would follow
    other links than the first time.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", loaded)
    admin = token("admin")

    class Links(schema.as_state_machine()):
        def setup(self):
            from gis_app.imports import import_file
            from gis_app.storage import repository as repo
            from gis_app.storage import session_scope
            from gis_app.storage.cache import clear_caches
            with session_scope(engine, write=True) as session:
                repo.wipe_register(session)
            for layer in ("regions", "grids"):
                import_file(engine, loaded.config, layer, files[layer])
            clear_caches()

        def get_call_kwargs(self, case):
            return {"headers": admin}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Links.run(settings=settings(max_examples=EXAMPLES * 3, stateful_step_count=5, deadline=None, derandomize=True,
                                database=None, suppress_health_check=list(HealthCheck)))
