"""Fixtures shared by the whole suite."""

import pytest


@pytest.fixture(scope="session")
def sandbox_server():
    """The sandbox networks, served from a thread of the test process on a free port."""
    from channels.sandbox.server import SandboxServer

    server = SandboxServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox, emptied of everything received and of every fault before each test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def sandbox_url(sandbox) -> str:
    return sandbox.url
