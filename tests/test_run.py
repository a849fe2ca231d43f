"""The README's run command (`scripts/run`) as a process manager runs it: a subprocess in its own
process group, signals to its main process. Whatever way it ends, nothing it started keeps
running and the data is flushed; checkouts side by side each keep to their own Redis; a run
killed outright comes back with its history and never uses a Redis that is not its own."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]
import pytest
import redis

from api.broker import keys
from scripts.embedded_redis import (
    RedisServer,
    RedisStartError,
    free_port,
    is_server_name,
    private_dir,
    socket_path_for,
    stop_process,
)
from tests.conftest import bearer

ROOT = Path(__file__).resolve().parent.parent
RUN = str(ROOT / "scripts" / "run")


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def alive(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def redis_servers_in(folder: Path) -> list[psutil.Process]:
    """Every live redis-server working in `folder`, whoever started it."""
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if is_server_name(str(process.info["name"])) and process.cwd() == str(folder):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return [p for p in found if alive(p)]


def aof_bytes(folder: Path) -> bytes:
    """What the append-only file holds: one file on Redis 6, the parts of appendonlydir/ on 7+."""
    files = [folder / "appendonly.aof", *sorted((folder / "appendonlydir").glob("*.aof"))]
    return b"".join(file.read_bytes() for file in files if file.exists())


def lock_is_free(path: Path) -> bool:
    if not path.exists():
        return True
    with open(path) as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class Run:
    """One `scripts/run` of a checkout whose data folder is `data_dir`."""

    def __init__(self, data_dir: Path, log: Path, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.redis_dir = data_dir / "redis"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = log
        base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the embedded default
        self.env = {**base, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.seen: set[psutil.Process] = set()

    def start(self, via_env: bool = False) -> Run:
        folder = [] if via_env else ["--data-dir", str(self.data_dir)]
        env = {**self.env, "CHAT_DATA_DIR": str(self.data_dir)} if via_env else self.env
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [RUN, "--port", str(self.port), "--workers", str(self.workers), *folder],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # like a process manager: the run is its own group
            )
        return self

    def wait_healthy(self) -> Run:
        def healthy() -> bool:
            assert self.process is not None and self.process.poll() is None, self.output()
            try:
                return httpx.get(self.url + "/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the server to answer /api/health", 60)
        wait_for(lambda: len(self.workers_running()) == self.workers, f"{self.workers} workers")
        return self

    def workers_running(self) -> list[psutil.Process]:
        """uvicorn itself when it runs one worker, else the worker processes it spawned."""
        uvicorn = [p for p in self.tree() if "uvicorn" in p.cmdline()]
        if self.workers == 1:
            return uvicorn
        return [p for p in self.tree() if any("spawn_main" in arg for arg in p.cmdline())]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def main(self) -> psutil.Process:
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def tree(self) -> list[psutil.Process]:
        """The run's main process and everything under it (remembered, for the clean-up)."""
        main = self.main
        processes = [main, *main.children(recursive=True)]
        self.seen.update(processes)
        return processes

    def redis(self) -> list[psutil.Process]:
        return [p for p in self.tree() if is_server_name(p.name())]

    def wait_exit(self, timeout: float = 40) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.tree()
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                kill_all(list(self.seen))
                self.process.wait()

    def send(self, text: str, name: str = "ada") -> str:
        token = httpx.post(self.url + "/api/session", json={"name": name}).json()["token"]
        r = httpx.post(f"{self.url}/api/rooms/general/messages", json={"text": text}, headers=bearer(token))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def history(self) -> list[str]:
        r = httpx.get(self.url + "/api/rooms/general/messages")
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["messages"]]


def kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=10)


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Makes runs; whatever a test leaves running is stopped (and killed if it will not stop)."""
    made: list[Run] = []

    def make(data_dir: Path | None = None, **kwargs: object) -> Run:
        run = Run(data_dir or tmp_path / "data", tmp_path / f"run-{len(made)}.log", **kwargs)  # type: ignore[arg-type]
        made.append(run)
        return run

    yield make
    for run in made:
        run.stop()
        kill_all([p for p in run.seen if alive(p)] + redis_servers_in(run.redis_dir))


def assert_nothing_left(run: Run, started: list[psutil.Process]) -> None:
    """Every process of the run has ended and the data folder holds no live server's socket or pidfile."""
    left = [f"{p.pid} {p.name()}" for p in started if alive(p)]
    assert left == [], f"still running after the run ended: {left}\n{run.output()}"
    assert redis_servers_in(run.redis_dir) == []
    assert not (run.redis_dir / "redis.pid").exists()
    assert not socket_path_for(run.redis_dir).exists()
    assert lock_is_free(run.redis_dir / "run.lock") and lock_is_free(run.redis_dir / "redis.lock")


@pytest.mark.parametrize(
    ("signum", "workers"),
    [(signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGHUP, 1), (signal.SIGTERM, 2)],
    ids=["SIGTERM", "SIGINT", "SIGHUP", "SIGTERM-2-workers"],
)
def test_a_stop_signal_to_the_main_process_stops_everything(
    runs: Callable[..., Run], signum: signal.Signals, workers: int
) -> None:
    run = runs(workers=workers).start().wait_healthy()
    started = run.tree()
    assert sum(is_server_name(p.name()) for p in started) == 1
    assert len(run.workers_running()) == workers
    run.send(f"flushed before {signum.name}")

    run.main.send_signal(signum)
    code = run.wait_exit()

    assert code == -signum, run.output()  # it ends the way the signal asked, once all is stopped
    assert_nothing_left(run, started)
    assert f"flushed before {signum.name}".encode() in aof_bytes(run.redis_dir)


def test_the_server_failing_at_start_stops_the_redis_it_started(runs: Callable[..., Run]) -> None:
    run = runs()
    with socket.socket() as taken:  # the server's port is already in use
        taken.bind(("127.0.0.1", run.port))
        taken.listen()
        run.start()
        code = run.wait_exit()
    assert code != 0
    assert "embedded redis-server" in run.output()  # it had started Redis before the server failed
    assert_nothing_left(run, [])


def test_two_checkouts_side_by_side_each_see_only_their_own_messages(runs: Callable[..., Run], tmp_path: Path) -> None:
    first = runs(tmp_path / "first" / "data").start().wait_healthy()
    second = runs(tmp_path / "second" / "data").start(via_env=True).wait_healthy()
    assert first.redis()[0].pid != second.redis()[0].pid

    first.send("only in the first", name="ada")
    second.send("only in the second", name="ada")  # the same name is free there: another database

    assert first.history() == ["only in the first"]
    assert second.history() == ["only in the second"]
    for run in (first, second):
        (server,) = run.redis()
        assert server.cwd() == str(run.redis_dir)
        assert [c for c in server.net_connections("inet") if c.status == psutil.CONN_LISTEN] == []  # no TCP


def test_a_second_run_of_the_same_data_folder_refuses_and_leaves_the_first_alone(runs: Callable[..., Run]) -> None:
    first = runs().start().wait_healthy()
    first.send("still here")
    (server,) = first.redis()

    second = runs(first.data_dir).start()
    assert second.wait_exit() == 1
    assert "in use by another run" in second.output()

    assert alive(server) and first.redis() == [server]
    assert first.history() == ["still here"]


def test_a_run_killed_with_sigkill_comes_back_with_its_history(runs: Callable[..., Run], tmp_path: Path) -> None:
    with RedisServer(tmp_path / "stranger", persistent=True) as stranger:
        assert stranger.process is not None
        first = runs().start().wait_healthy()
        first.send("before the kill")
        (old_redis,) = first.redis()
        kill_all(sorted(first.tree(), key=lambda p: not is_server_name(p.name())))  # Redis first: no clean exit
        assert (first.redis_dir / "redis.pid").exists()  # what the kill left behind

        again = runs(first.data_dir).start().wait_healthy()

        assert again.history() == ["before the kill"]
        (new_redis,) = again.redis()
        assert new_redis.pid != old_redis.pid and new_redis.ppid() == again.main.pid
        assert stranger.process.poll() is None  # another folder's Redis: untouched
        with redis.Redis(unix_socket_path=str(socket_path_for(again.redis_dir)), decode_responses=True) as r:
            assert r.config_get("dir")["dir"] == str(again.redis_dir)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_children_stop_when_the_main_process_is_killed(runs: Callable[..., Run]) -> None:
    run = runs().start().wait_healthy()
    run.send("flushed anyway")
    started = run.tree()

    run.main.kill()
    run.wait_exit()

    wait_for(lambda: not any(alive(p) for p in started), "the run's children to stop")
    assert_nothing_left(run, started)
    assert b"flushed anyway" in aof_bytes(run.redis_dir)


LEFTOVER = """
import sys
from pathlib import Path
from api.broker import keys
from scripts.embedded_redis import EmbeddedRedis
EmbeddedRedis(Path(sys.argv[1])).start(with_parent=False)  # and exit without stopping it
"""


@pytest.mark.parametrize("kind", ["with-pidfile", "from-before-pidfiles"])
def test_a_redis_left_behind_in_the_data_folder_is_stopped_and_its_data_kept(
    runs: Callable[..., Run], tmp_path: Path, kind: str
) -> None:
    first = runs().start().wait_healthy()
    first.send("from the first run")
    first.main.send_signal(signal.SIGTERM)
    first.wait_exit()

    # A run killed where no parent-death signal exists leaves its Redis running; so did every run
    # before this change (on port 6390). It still writes (another client of it, say).
    leftover_process: subprocess.Popen[bytes] | None = None
    if kind == "with-pidfile":
        subprocess.run([sys.executable, "-c", LEFTOVER, str(first.redis_dir)], cwd=ROOT, check=True)
        client = redis.Redis(unix_socket_path=str(socket_path_for(first.redis_dir)))
    else:
        old_style = RedisServer(first.redis_dir, persistent=True).start()  # on TCP, no pidfile, no lock
        leftover_process = old_style.process
        client = redis.Redis(port=old_style.port)
    (leftover,) = redis_servers_in(first.redis_dir)
    with client:
        client.set("written by the leftover", "kept")

    with RedisServer(tmp_path / "stranger", persistent=True) as stranger:
        assert stranger.process is not None
        again = runs(first.data_dir).start().wait_healthy()

        assert not alive(leftover)
        assert stranger.process.poll() is None
        assert again.history() == ["from the first run"]
        assert redis_servers_in(again.redis_dir) == again.redis()
        with redis.Redis(unix_socket_path=str(socket_path_for(again.redis_dir))) as r:
            assert r.get("written by the leftover") == b"kept"  # flushed when it was stopped
    stop_process(leftover_process)


def test_a_data_folder_too_deep_for_a_socket_path_uses_a_short_private_one(
    runs: Callable[..., Run], tmp_path: Path
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "data"
    run = runs(deep).start().wait_healthy()
    path = socket_path_for(run.redis_dir)
    assert len(str(run.redis_dir / "redis.sock")) > 107 and len(str(path)) <= 103
    assert path.is_socket() and stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and path.parent.stat().st_uid == os.geteuid()
    run.send("through the short socket")
    started = run.tree()

    run.main.send_signal(signal.SIGTERM)
    run.wait_exit()
    assert_nothing_left(run, started)


def test_redis_url_bypasses_the_embedded_redis(runs: Callable[..., Run], redis_url: str, tmp_path: Path) -> None:
    run = runs(tmp_path / "unused", env={"REDIS_URL": redis_url}).start().wait_healthy()
    message_id = run.send("into the given Redis")

    assert [p.name() for p in run.tree() if p.name().startswith("redis")] == []
    assert not (tmp_path / "unused").exists()
    with redis.Redis.from_url(redis_url, decode_responses=True) as r:
        assert [entry_id for entry_id, _ in r.xrange(keys.stream("general"))] == [message_id]


def test_a_shared_folder_is_refused_not_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(RedisStartError, match="shared folder"):
        private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    old = tmp_path / "data" / "redis"  # as an earlier version made it
    old.mkdir(parents=True, mode=0o755)
    assert stat.S_IMODE(private_dir(old).stat().st_mode) == 0o700
