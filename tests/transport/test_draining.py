"""While the process stops: streams opened then end at once (their clients reconnect, to the next
process), and sends still work. The drain is started by hand here (a test client runs the app in a
thread, where no signal arrives); tests/test_shutdown.py sends the real SIGTERM."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from tests.conftest import make_settings, sign_in


@pytest.mark.timeout(30)  # a stream that does not end would hang here
def test_streams_opened_while_stopping_end_at_once_and_sends_still_work(redis_url: str) -> None:
    app = create_app(make_settings(redis_url))
    with TestClient(app) as client:
        auth = sign_in(client, "ada")
        assert client.portal is not None
        client.portal.call(app.state.drain.start)

        for path in ("/api/rooms/general/events", "/api/events?rooms=general,random"):
            r = client.get(path)
            assert r.status_code == 200 and r.text == "retry: 1000\n\n"
        with client.websocket_connect("/api/rooms/general/ws") as socket:
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_text()
        assert closed.value.code == 1012
        started = time.monotonic()
        polled = client.get("/api/rooms/general/messages?after=0-0&wait=20")
        assert polled.status_code == 200 and time.monotonic() - started < 5

        sent = client.post("/api/rooms/general/messages", json={"text": "still here"}, headers=auth)
        assert sent.status_code == 201
