"""schemathesis against /ogc/api (the OGC API's OpenAPI 3.0 definition): no 5xx, responses as documented."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
PATHS = ["/", "/api", "/conformance", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items",
         "/collections/{collectionId}/items/{featureId}", "/collections/{collectionId}/queryables",
         # each collection's items with its property filters (queryables) as parameters
         "/collections/regions/items", "/collections/grids/items", "/collections/gaps/items",
         "/collections/frontages/items", "/collections/places/items", "/collections/roads/items"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", PATHS)
def test_ogc_operation_conforms_to_its_definition(loaded, path, mode):
    schema = schemathesis.openapi.from_wsgi("/ogc/api", loaded)
    assert set(PATHS) == set(schema.raw_schema["paths"])
    operation = schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()


def test_ogc_stateful_links_conform(loaded):
    """Follow the definition's links: a collection -> its items -> the first item -> its collection."""
    schema = schemathesis.openapi.from_wsgi("/ogc/api", loaded)

    class Links(schema.as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Links.run(settings=settings(max_examples=15, stateful_step_count=4, deadline=None, derandomize=True,
                                database=None, suppress_health_check=list(HealthCheck)))
