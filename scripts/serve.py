"""`scripts/run`'s server: uvicorn on REDIS_URL, or on an embedded redis-server kept in data/."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from scripts.embedded_redis import RedisServer

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the chat server.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("serve")

    redis = None
    if not os.environ.get("REDIS_URL"):
        redis = RedisServer(ROOT / "data" / "redis", port=int(os.environ.get("REDIS_PORT", "6390")), persistent=True)
        redis.start()
        os.environ["REDIS_URL"] = redis.url
        log.info("embedded redis-server on %s, data in %s", redis.url, redis.data_dir)
    try:
        log.info("chat at http://%s:%d/chat/", args.host, args.port)
        uvicorn.run(
            "api.index:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            timeout_graceful_shutdown=2,
            log_level="info",
        )
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
