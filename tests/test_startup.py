"""What the app refuses to start with: a signing secret too short to keep tokens unforgeable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.app import WeakSecret, create_app
from api.config import Settings
from scripts.embedded_redis import free_port
from tests.conftest import ROOT

SHORT = "correct-horse-battery-stap"  # 26 characters: a passphrase, not a key


@pytest.mark.parametrize("length", [1, 26, 31])
def test_a_secret_shorter_than_32_characters_is_refused(redis_url: str, length: int) -> None:
    with pytest.raises(WeakSecret, match=f"CHAT_SECRET has {length} characters; it needs at least 32"):
        create_app(Settings(redis_url=redis_url, chat_secret="k" * length))


def test_a_secret_of_32_characters_or_more_is_accepted(redis_url: str) -> None:
    create_app(Settings(redis_url=redis_url, chat_secret="k" * 32))
    create_app(Settings(redis_url=redis_url, chat_env="production", chat_secret="k" * 64))


def test_the_server_process_exits_with_the_reason_and_without_the_secret(redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "CHAT_SECRET": SHORT}
    command = [sys.executable, "-m", "uvicorn", "api.index:app", "--host", "127.0.0.1", "--port", str(free_port())]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert f"CHAT_SECRET has {len(SHORT)} characters; it needs at least 32" in output, output
    assert SHORT not in output
