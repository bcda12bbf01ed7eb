"""Every recommend API operation documents its error answers with the shared ErrorOut schema."""
import pytest

pytestmark = pytest.mark.django_db


def test_openapi_recommend_operations_declare_error_out(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    operations = {(path, method): op for path, ops in paths.items() if path.startswith("/api/v1/recommend")
                  for method, op in ops.items()}
    assert len(operations) == 7
    for (path, method), op in operations.items():
        errors = {code: answer for code, answer in op["responses"].items() if code.startswith("4")}
        assert errors and all("ErrorOut" in str(answer) for answer in errors.values()), (method, path)
    recommend = operations[("/api/v1/recommend", "post")]["responses"]
    assert {"401", "404", "422", "429", "503"} <= set(recommend)
