"""Shared fixtures. ``doccano_server``: one real Doccano for the whole session, on a free 127.0.0.1 port in a tmp folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from pipeline.annotation import doccano_server

# property tests are judged by what they find, not by how fast a loaded 2-core machine runs one example
settings.register_profile("govner", deadline=None)
settings.load_profile("govner")


@dataclass
class DoccanoServer:
    """A running local Doccano that a test may stop and start again (same folder, same port, same data)."""

    home: Path
    port: int
    admin: tuple[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        doccano_server.up(self.home, self.port, admin=self.admin)

    def stop(self) -> None:
        doccano_server.down(self.home)


@pytest.fixture(scope="session")
def doccano_server_instance(tmp_path_factory: pytest.TempPathFactory) -> DoccanoServer:
    venv = doccano_server.default_venv()
    if doccano_server.backend_dir(venv) is None:
        message = f"no Doccano server venv at {venv}; run scripts/install_doccano.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = DoccanoServer(tmp_path_factory.mktemp("doccano-home"), doccano_server.free_port(), ("govner-admin", "Adm1n-pw-for-tests"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_doccano(doccano_server_instance: DoccanoServer) -> DoccanoServer:
    """The session's Doccano, started again if a test left it stopped."""
    if not doccano_server.answers(doccano_server_instance.url):
        doccano_server_instance.start()
    return doccano_server_instance
