"""The file server behind the UI's report and Data Docs links serves those two folders and nothing else."""

from __future__ import annotations

import http.client

import pytest

from pemadanan import file_server


@pytest.fixture
def served(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "pemadanan-2024-S1.html").write_text("<h1>report</h1>")
    (tmp_path / "data_docs" / "2024-S1" / "voters").mkdir(parents=True)
    (tmp_path / "data_docs" / "2024-S1" / "voters" / "index.html").write_text("docs")
    (tmp_path / "coklit" / "2024-S1").mkdir(parents=True)
    (tmp_path / "coklit" / "2024-S1" / "3323010001.csv").write_text("NIK,NAMA\n3323015508950001,SITI\n")
    (tmp_path / "reports" / "escape").symlink_to(tmp_path / "coklit")
    server = file_server.serve(0, tmp_path)  # any free port
    yield server.server_port
    server.shutdown()


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)  # sent as written: no client-side normalising of ../
    response = connection.getresponse()
    return response.status, response.read().decode(errors="replace")


def test_reports_and_data_docs_are_served_and_listed(served):
    assert get(served, "/reports/pemadanan-2024-S1.html") == (200, "<h1>report</h1>")
    assert get(served, "/data_docs/2024-S1/voters/index.html") == (200, "docs")
    status, index = get(served, "/")
    assert status == 200
    assert "/reports/pemadanan-2024-S1.html" in index and "/data_docs/2024-S1/voters/index.html" in index
    assert "coklit" not in index


@pytest.mark.parametrize("path", ["/coklit/2024-S1/3323010001.csv", "/reports/../coklit/2024-S1/3323010001.csv",
                                  "/reports/%2e%2e/coklit/2024-S1/3323010001.csv",
                                  "/reports/escape/2024-S1/3323010001.csv", "/data_docs/", "/reports/"])
def test_nothing_else_is_served_nor_listed(served, path):
    status, body = get(served, path)
    assert status == 404 and "3323015508950001" not in body


def test_links_point_at_the_server_and_refuse_other_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PEMADANAN_FILES_URL", "http://files.example:8080/")
    assert file_server.url_for(tmp_path / "data_docs" / "2024-S1" / "voters" / "index.html") == (
        "http://files.example:8080/data_docs/2024-S1/voters/index.html")
    with pytest.raises(ValueError, match="not served"):
        file_server.url_for(tmp_path / "coklit" / "2024-S1" / "3323010001.csv")
