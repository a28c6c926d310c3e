"""A Doccano server is not trusted: a fake one on 127.0.0.1 answers ``pull`` with hostile exports and names.

No real Doccano is needed: the fake speaks just the endpoints a pull uses (login, profile, projects, members,
export task, download), so these tests run in well under a second.
"""

from __future__ import annotations

import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipeline.annotation.doccano import pull
from pipeline.errors import GovnerError

from .documents import doccano_export

PROJECT = {
    "id": 1, "name": "govner", "description": "d", "guideline": "", "project_type": "SequenceLabeling",
    "resourcetype": "SequenceLabelingProject", "random_order": False, "collaborative_annotation": False,
    "single_class_classification": False, "allow_overlapping": False, "grapheme_mode": False, "use_relation": False,
    "tags": [],
}  # fmt: skip
RECORD = {"id": 7, "text": "晋江市规上工业增加值增长9.1%。", "label": [[0, 3, "GPE"]], "doc_id": "d1", "para_index": 0, "Comments": []}


class FakeDoccano:
    """The endpoints of Doccano 1.8.4 that ``pull`` calls, with an export and headers chosen by the test."""

    def __init__(self, disposition: str, body: bytes, members: list[str]) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, payload, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/zip" if raw is not None else "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlparse(self.path).path
                if path == "/v1/auth/login/":
                    self.reply({"key": "k"}, {"Set-Cookie": "csrftoken=abc; Path=/"})
                elif path == "/v1/projects/1/download":
                    self.reply({"task_id": "t1"})
                else:
                    self.send_error(404)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/v1/me":
                    self.reply({"id": 1, "username": "admin", "is_superuser": True, "is_staff": True})
                elif path == "/v1/projects":
                    self.reply({"count": 1, "next": None, "previous": None, "results": [PROJECT]})
                elif path == "/v1/projects/1/members":
                    self.reply(
                        [{"id": i, "user": i, "role": 2, "username": n, "rolename": "annotator"} for i, n in enumerate(fake.members, 1)]
                    )
                elif path == "/v1/users":
                    self.reply([{"id": i, "username": n, "is_superuser": False, "is_staff": False} for i, n in enumerate(fake.members, 1)])
                elif path == "/v1/tasks/status/t1":
                    self.reply({"ready": True, "result": None, "error": None})
                elif path == "/v1/projects/1/download":
                    self.reply(None, {"Content-Disposition": fake.disposition}, raw=fake.body)
                else:
                    self.send_error(404)

        self.disposition, self.body, self.members = disposition, body, members
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_doccano():
    servers = []

    def start(disposition: str, body: bytes | None = None, members: list[str] | None = None) -> FakeDoccano:
        server = FakeDoccano(disposition, body if body is not None else doccano_export({"alice.jsonl": [RECORD]}), members or ["alice"])
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("escape", ["relative", "absolute"])
def test_pull_never_saves_the_export_under_the_servers_file_name(fake_doccano, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, escape):
    work = tmp_path / "work"
    (work / "tmp").mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(work / "tmp"))  # pull's temporary folder lands in tmp_path
    # the server's name, joined to pull's temporary folder work/tmp/govner-pull-…, would land here
    target = work / "tmp" / "evil.pth" if escape == "relative" else tmp_path / "abs-evil.pth"
    name = "../evil.pth" if escape == "relative" else str(target)
    server = fake_doccano(f'attachment; filename="{name}"')
    out = work / "corpus"
    result = pull(server.url, ("admin", "pw"), project="govner", output=out)
    assert result["merged"] == 1
    assert not target.exists()
    assert files_under(tmp_path) == {f"work/corpus/{p}" for p in files_under(out)}  # nothing written outside the output
    assert files_under(work / "tmp") == set()
    assert json.loads((out / "merged.jsonl").read_text(encoding="utf-8"))["label"] == [[0, 3, "GPE"]]


@pytest.mark.parametrize("member", ["../../escape.jsonl", "/etc/alice.jsonl", "...jsonl", "..jsonl", ".jsonl", "a\\b.jsonl", "a\nb.jsonl"])
def test_an_export_file_that_is_not_a_plain_user_name_is_refused(fake_doccano, tmp_path: Path, member: str):
    body = doccano_export({"alice.jsonl": [RECORD], member: [RECORD]})
    server = fake_doccano('attachment; filename="export.zip"', body=body)
    out = tmp_path / "corpus"
    with pytest.raises(GovnerError, match=r"export holds .* not a plain file name; nothing written"):
        pull(server.url, ("admin", "pw"), project="govner", output=out)
    assert files_under(tmp_path) == set()


def test_pull_refuses_an_adjudicator_who_is_not_in_the_project(fake_doccano, tmp_path: Path):
    server = fake_doccano('attachment; filename="export.zip"', members=["alice"])
    out = tmp_path / "corpus"
    with pytest.raises(GovnerError, match=r"^http://127\.0\.0\.1:\d+: adjudicator 'carol' is not a member of project 'govner'"):
        pull(server.url, ("admin", "pw"), project="govner", output=out, adjudicator="carol")
    with pytest.raises(GovnerError, match="annotator 'zed' is not a member of project 'govner'"):
        pull(server.url, ("admin", "pw"), project="govner", output=out, annotators=["alice", "zed"])
    assert not out.exists()


def test_pull_command_names_the_unknown_adjudicator_in_one_line(fake_doccano, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from pipeline.cli import app

    server = fake_doccano('attachment; filename="export.zip"', members=["alice"])
    monkeypatch.setenv("DOCCANO_USERNAME", "admin")
    monkeypatch.setenv("DOCCANO_PASSWORD", "pw")
    out = tmp_path / "corpus"
    result = CliRunner().invoke(app, ["doccano", "pull", "--url", server.url, "--adjudicator", "carol", "-o", str(out)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "adjudicator 'carol' is not a member of project 'govner'" in lines[0]
    assert not out.exists()
