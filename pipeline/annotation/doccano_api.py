"""The one place that talks to a Doccano server: doccano-client 1.2.8 and its requests session stay behind ``Doccano``.

Every method takes and returns plain data (ids, dicts, sets), so the planning in ``doccano_plan.py`` and the steps
in ``doccano.py`` never see a client-library object, and a new client version changes this module only. It also
adds what the client lacks or gets wrong:

- listing with a page size (the server's default page holds 5), PATCH, and task waits that end;
- an export is saved under a name govner chooses, inside the folder it is given, readable by the owner only, and
  limited in size: doccano-client saves it under the server's Content-Disposition name, so a server sending
  ``../x`` or an absolute path could write any file on the puller's machine;
- any dropped connection or server error becomes one line that says what happened and what to do.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.repositories.base import verbose_raise_for_status

from pipeline.annotation.doccano_plan import inside
from pipeline.errors import GovnerError

PAGE_SIZE = 500
TASK_TIMEOUT = 600.0
EXPORT_NAME = "export.zip"
MAX_EXPORT_BYTES = 2 * 1024**3
SERVER_ERRORS = (requests.RequestException, DoccanoAPIError)


def http_status(err: BaseException) -> int | None:
    return getattr(getattr(err, "response", None), "status_code", None)


@contextmanager
def doccano_errors(url: str, doing: str, progress: Callable[[], str] | None = None) -> Iterator[None]:
    """Turn a dropped connection or a server error into one line that says what happened and what to do."""
    try:
        yield
    except SERVER_ERRORS as err:
        status = http_status(err)
        why = f"HTTP {status}" if status else "no answer"
        done = f"; {progress()}" if progress else ""
        raise GovnerError(
            f"{url}: Doccano stopped answering during {doing} ({why}){done}; "
            "nothing was written locally; run the same command again to finish"
        ) from None


class Doccano:
    """A user logged in to a Doccano server."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.client = DoccanoClient(self.url)
        try:
            self.client.login(username, password)
        except DoccanoAPIError as err:
            if http_status(err) in (400, 401, 403):
                raise GovnerError(f"{self.url}: Doccano refused the login of {username!r} (wrong user name or password?)") from None
            raise GovnerError(f"{self.url}: login failed ({err})") from None
        except requests.RequestException:
            raise GovnerError(f"{self.url}: Doccano does not answer; start it with `govner doccano up` or check --url") from None
        self.base = self.client._base_repository  # doccano-client 1.2.8 keeps its logged-in session here
        self.is_staff = bool(self.base.get("me").json().get("is_staff"))

    # ---- plain HTTP ----

    def _get(self, resource: str, **params: Any) -> Any:
        return self.base.get(resource, params=params or None).json()

    def _pages(self, resource: str, **params: Any) -> Iterator[dict]:
        """Every item of a paged list, PAGE_SIZE at a time."""
        offset = 0
        while True:
            page = self._get(resource, **params, limit=PAGE_SIZE, offset=offset)
            yield from page["results"]
            offset += len(page["results"])
            if not page["next"] or not page["results"]:
                return

    def _patch(self, resource: str, payload: dict) -> dict:
        response = self.base._session.patch(f"{self.base.api_url}/{resource}", json=payload)
        return verbose_raise_for_status(response).json()

    def wait(self, task_id: str, what: str, timeout: float = TASK_TIMEOUT) -> Any:
        """The result of a celery task; fails clearly when it errs or never ends (the worker is not running)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self._get(f"tasks/status/{task_id}")
            if status.get("ready"):
                if status.get("error"):
                    raise GovnerError(f"{self.url}: Doccano's {what} failed: {status['error']}")
                return status.get("result")
            if time.monotonic() > deadline:
                raise GovnerError(
                    f"{self.url}: Doccano's {what} did not finish in {timeout:.0f} s; is its worker (`doccano task`) running?"
                )
            time.sleep(0.3)

    # ---- projects, labels, users ----

    def projects_named(self, name: str) -> list[dict]:
        """The projects called ``name`` that this user can see: ``{id, name, type, collaborative, overlapping, guideline}``."""
        return [
            {
                "id": p["id"],
                "name": p["name"],
                "type": p.get("project_type"),
                "collaborative": bool(p.get("collaborative_annotation")),
                "overlapping": bool(p.get("allow_overlapping")),
                "guideline": p.get("guideline") or "",
            }
            for p in self._pages("projects")
            if p.get("name") == name
        ]

    def create_project(self, name: str, description: str, guideline: str) -> int:
        """A sequence-labeling project with collaborative mode and overlapping spans off; its id."""
        project = self.client.create_project(
            name=name,
            project_type="SequenceLabeling",
            description=description,
            guideline=guideline,
            collaborative_annotation=False,
            allow_overlapping=False,
            grapheme_mode=False,
        )
        return project.id

    def set_guideline(self, project_id: int, guideline: str) -> None:
        self._patch(f"projects/{project_id}", {"guideline": guideline, "resourcetype": "SequenceLabelingProject"})

    def labels(self, project_id: int) -> dict[str, dict]:
        """The project's span labels: ``{text: {id, key, color, text_color}}``."""
        return {
            t["text"]: {"id": t["id"], "key": t.get("suffix_key"), "color": t.get("background_color"), "text_color": t.get("text_color")}
            for t in self._get(f"projects/{project_id}/span-types")
        }

    def create_label(self, project_id: int, text: str, key: str | None, color: str, text_color: str) -> int:
        payload = {"text": text, "prefix_key": None, "suffix_key": key, "background_color": color, "text_color": text_color}
        return self.base.post(f"projects/{project_id}/span-types", json=payload).json()["id"]

    def recolour_label(self, project_id: int, label_id: int, color: str, text_color: str) -> None:
        self._patch(f"projects/{project_id}/span-types/{label_id}", {"background_color": color, "text_color": text_color})

    def user_exists(self, name: str) -> bool:
        return any(user.username == name for user in self.client.search_users(name))

    def create_user(self, name: str, password: str) -> None:
        try:
            self.client.create_user(name, password)
        except DoccanoAPIError as err:
            raise GovnerError(f"{self.url}: creating user {name!r} failed: {err.response.text[:300]}") from None

    def members(self, project_id: int) -> set[str]:
        return {m["username"] for m in self._get(f"projects/{project_id}/members")}

    def add_member(self, project_id: int, name: str, role: str = "annotator") -> None:
        self.client.member.add(project_id, name, role)

    # ---- examples and spans ----

    def examples(self, project_id: int) -> list[dict]:
        """Every example of the project: ``{id, text, meta, ...}`` as the API gives them."""
        return list(self._pages(f"projects/{project_id}/examples"))

    def count_examples(self, project_id: int) -> int:
        return int(self._get(f"projects/{project_id}/examples", limit=1)["count"])

    def delete_examples(self, project_id: int, ids: list[int]) -> None:
        self.base.delete(f"projects/{project_id}/examples", json={"ids": ids})

    def set_meta(self, project_id: int, example_id: int, meta: dict) -> None:
        self._patch(f"projects/{project_id}/examples/{example_id}", {"meta": meta})

    def spans(self, project_id: int, example_id: int) -> set[tuple[int, int, int]]:
        """This user's spans on an example: ``(start, end, label id)``."""
        return {(s.start_offset, s.end_offset, s.label) for s in self.client.span.list(project_id, example_id)}

    def create_span(self, project_id: int, example_id: int, start: int, end: int, label_id: int) -> bool:
        """Create a span as this user; False when the server refuses it as clashing with one of theirs."""
        try:
            self.client.span.create(project_id, example_id, start, end, label_id)
        except DoccanoAPIError as err:
            if http_status(err) != 400:
                raise
            return False
        return True

    # ---- import and export ----

    def import_jsonl(self, project_id: int, jsonl: str) -> list[str]:
        """Upload JSONL rows through Doccano's import (one celery task) and wait; one line per rejected row."""
        repo = self.client._data_import_repository
        with tempfile.TemporaryDirectory(prefix="govner-push-") as tmp:
            path = Path(tmp) / "batch.jsonl"
            path.write_text(jsonl, encoding="utf-8")
            upload_id = repo.upload(str(path))
        task_id = repo.ingest(project_id, [upload_id], "SequenceLabeling", "JSONL", column_data="text", column_label="label")
        result = self.wait(task_id, "import")
        return [f"{e.get('filename')}:{e.get('line')}: {e.get('message')}" for e in (result or {}).get("error") or []]

    def export(self, project_id: int, confirmed_only: bool, folder: Path) -> Path:
        """Doccano's JSONL export (a zip, one ``<username>.jsonl`` per member) saved as ``folder/export.zip``, 0600.

        The server's file name (Content-Disposition) is never used.
        """
        task_id = self.base.post(f"projects/{project_id}/download", json={"format": "JSONL", "exportApproved": confirmed_only}).json()[
            "task_id"
        ]
        self.wait(task_id, "export")
        path = inside(folder, EXPORT_NAME)
        response = self.base.get(f"projects/{project_id}/download", params={"taskId": task_id}, stream=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        size = 0
        with os.fdopen(fd, "wb") as f, response:
            for chunk in response.iter_content(chunk_size=1 << 16):
                size += len(chunk)
                if size > MAX_EXPORT_BYTES:
                    raise GovnerError(f"{self.url}: Doccano's export is larger than {MAX_EXPORT_BYTES >> 20} MB; nothing written")
                f.write(chunk)
        return path
