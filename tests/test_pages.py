"""The register page lists the register; errors are problem+json, never a stack trace."""


def test_index_lists_regions_grids_and_status(loaded):
    page = loaded.test_client().get("/register")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "鱼峰区" in text and "450203008001004" in text and "无人" in text


def test_empty_register_page(client):
    assert "登记册为空" in client.get("/register").get_data(as_text=True)


def test_unknown_route_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
