"""Quotas against abuse: wrong passwords, sign-ins per address, rooms per person."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import LiveServer, make_settings, sign_in


async def test_parallel_wrong_passwords_are_counted_before_any_is_checked(live_server: LiveServer) -> None:
    owner = {"name": "target", "password": "the right one"}
    assert httpx.post(live_server.url + "/api/session", json=owner).status_code == 201
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        replies = await asyncio.gather(
            *(client.post("/api/session", json={"name": "target", "password": f"guess {i}"}) for i in range(40))
        )
    statuses = [r.status_code for r in replies]
    assert statuses.count(401) == 10 and statuses.count(429) == 30, statuses
    assert all(int(r.headers["retry-after"]) > 0 for r in replies if r.status_code == 429)


def test_sign_ins_per_address_are_limited(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, session_rate_per_address_per_minute=3))) as c:
        codes = [c.post("/api/session", json={"name": f"n{i}"}).status_code for i in range(4)]
        assert codes == [201, 201, 201, 429]
        assert c.post("/api/session", json={"name": "late"}).headers["retry-after"].isdigit()


def test_rooms_per_person_are_limited(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, room_create_rate_per_hour=2))) as c:
        ada, bob = sign_in(c, "ada"), sign_in(c, "bob")
        codes = [c.post("/api/rooms", json={"name": f"r{i}"}, headers=ada).status_code for i in range(3)]
        assert codes == [201, 201, 429]
        # The same address is counted too: another person from it gets no fresh quota.
        assert c.post("/api/rooms", json={"name": "b0"}, headers=bob).status_code == 429


async def test_open_streams_per_address_are_limited(server_factory) -> None:
    server = server_factory(streams_per_address=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        async with client.stream("GET", "/api/rooms/general/events") as one:
            async with client.stream("GET", "/api/events", params={"rooms": "general"}) as two:
                assert (one.status_code, two.status_code) == (200, 200)
                third = await client.get("/api/rooms/general/events")
                assert third.status_code == 429 and third.headers["retry-after"].isdigit()
                ws = server.url.replace("http", "ws") + "/api/rooms/general/ws"
                async with websockets.connect(ws) as sock:
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        await sock.recv()
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        # Closing them frees their places, once the server has seen them go.
        async with asyncio.timeout(10):
            while True:
                async with client.stream("GET", "/api/rooms/general/events") as again:
                    if again.status_code == 200:
                        break
                await asyncio.sleep(0.05)
