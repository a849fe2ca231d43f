"""Apps on the folder store and on the S3 store of the suite's SeaweedFS (tests/seaweed.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import make_settings, sign_in
from tests.seaweed import SeaweedFS, s3_settings


@pytest.fixture
def files_app(redis_url: str, tmp_path: Path) -> Callable[..., TestClient]:
    """An app in-process (its lifespan run by the caller: `with files_app(...) as c`), on a
    folder store in the test's own folder unless settings say otherwise."""

    def make(**overrides: object) -> TestClient:
        settings = {"files_url": f"file://{tmp_path / 'files'}", **overrides}
        return TestClient(create_app(make_settings(redis_url, **settings)))

    return make


@pytest.fixture(params=["folder", "s3"])
def store_client(
    request: pytest.FixtureRequest, files_app: Callable[..., TestClient], seaweedfs_lazy: Callable[[], SeaweedFS]
) -> Iterator[TestClient]:
    """The app on each kind of store, signed in as the guest "ada"."""
    overrides = s3_settings(seaweedfs_lazy()) if request.param == "s3" else {}
    with files_app(**overrides) as client:
        client.headers.update(sign_in(client, "ada"))
        client.cookies.clear()
        yield client


@pytest.fixture
def seaweedfs_lazy(request: pytest.FixtureRequest) -> Callable[[], SeaweedFS]:
    """The S3 server, started only by the tests that use it."""
    return lambda: request.getfixturevalue("seaweedfs")
