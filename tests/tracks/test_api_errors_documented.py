"""Every tracks API operation documents its error answers with the shared ErrorOut schema."""
import pytest

pytestmark = pytest.mark.django_db


def test_openapi_tracks_operations_declare_error_out(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    operations = [(path, method, op) for path, ops in paths.items() if path.startswith("/api/v1/tracks/")
                  for method, op in ops.items()]
    assert len(operations) >= 50
    for path, method, op in operations:
        errors = {code: answer for code, answer in op["responses"].items() if code.startswith("4")}
        assert "401" in errors, (method, path)
        assert all("ErrorOut" in str(answer) for answer in errors.values()), (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
