"""The cluster client's failures are Redis failures: the edge answers 503, never 500."""

from __future__ import annotations

import pytest
from redis.exceptions import ClusterError

from api.broker.cluster import _bounded, _ClusterDeadline, cluster_client
from api.broker.connection import failure
from api.domain.errors import Code
from scripts.redis_cluster import LocalCluster


async def odd_failure() -> None:
    # What redis-py's async cluster client was seen raising while a slot moved.
    raise AttributeError("'NoneType' object has no attribute 'name'")


async def test_an_odd_error_while_a_slot_moves_is_a_cluster_error(fresh_cluster: LocalCluster) -> None:
    client = cluster_client(fresh_cluster.url, 5)
    assert isinstance(client, _ClusterDeadline)
    try:
        with pytest.raises(ClusterError) as caught:
            await _bounded(client, odd_failure())
        assert failure(caught.value).code is Code.UNAVAILABLE
        await client.set("k", "v")  # and the client goes on working
        assert await client.get("k") == "v"
    finally:
        await client.aclose()
