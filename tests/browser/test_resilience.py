"""Trust under trouble: the server going away, sends refused, streams ending, the leader tab closing."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Chat
from tests.browser.ui import (
    WAITING,
    expect_live,
    history_texts,
    message,
    only_streams_fill_gaps,
    post,
    send,
    sent_texts,
    signed_in,
)

MESSAGES = "**/api/rooms/*/messages"


def test_server_restart_shows_state_and_sends_queued_message_once(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    # A fixed signing secret, as deployed: the generated development one lives in Redis, which
    # the suite flushes between tests, so a restart would otherwise invalidate every token.
    live_server = server_factory(chat_secret="browser-tests-restart-secret-0123456789")
    chat = chat_factory(live_server.url)
    person = chat.person("ivy")
    writer, reader = chat.open(person), chat.open(person)
    send(writer, "before")
    expect(message(reader, "before")).to_have_count(1)

    live_server.stop()
    for tab in (writer, reader):
        expect(tab.locator("#conn")).not_to_have_attribute("data-state", "live")
        expect(tab.locator("#conn-text")).to_have_text(re.compile(r"Reconnecting…|Server trouble"))

    send(writer, "typed while down")
    expect(message(writer, "typed while down", WAITING)).to_have_count(1)
    expect(writer.locator("#composer-input")).to_have_value("")
    expect(message(reader, "typed while down", "")).to_have_count(0)

    live_server.start()
    for tab in (writer, reader):
        expect_live(tab, timeout=20_000)
        expect(message(tab, "typed while down")).to_have_count(1, timeout=20_000)
    expect(writer.locator(f"#messages .msg{WAITING}")).to_have_count(0)
    assert history_texts(live_server.url) == ["before", "typed while down"]
    for tab in (writer, reader):
        assert sent_texts(tab) == ["before", "typed while down"]


def test_pending_message_survives_reload(chat: Chat) -> None:
    page = chat.open(chat.person("jo"))
    other = chat.open(chat.person("kim"))

    def unreachable(route: Route) -> None:
        if route.request.method == "POST":
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route(MESSAGES, unreachable)
    send(page, "kept across a reload")
    expect(message(page, "kept across a reload", WAITING)).to_have_count(1)
    expect(page.locator("#messages .msg .note")).to_contain_text("Waiting to send")

    page.reload()
    # The stream is open, but sends cannot reach the server: that is trouble, not "Live".
    expect(page.locator("#conn")).to_have_attribute("data-state", "trouble")
    expect(message(page, "kept across a reload", WAITING)).to_have_count(1)

    page.unroute(MESSAGES, unreachable)
    expect(message(page, "kept across a reload")).to_have_count(1, timeout=20_000)
    expect_live(page)
    expect(message(other, "kept across a reload")).to_have_count(1)
    assert history_texts(chat.base_url) == ["kept across a reload"]
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('chat.outbox.'))") == []


def test_refused_send_says_why_and_keeps_the_text(chat: Chat) -> None:
    page = chat.open(chat.person("lou"))
    box = page.locator("#composer-input")

    def refuse(route: Route) -> None:
        if route.request.method == "POST":
            body = {"error": {"code": "nope", "message": "messages about cabbages are not allowed"}}
            route.fulfill(status=422, json=body)
        else:
            route.continue_()

    page.route(MESSAGES, refuse)
    send(page, "cabbages")
    expect(page.locator("#composer-error")).to_contain_text("messages about cabbages are not allowed")
    expect(box).to_have_value("cabbages")
    expect(page.locator("#messages .msg")).to_have_count(0)

    page.unroute(MESSAGES, refuse)
    page.locator("#composer-retry").click()
    expect(message(page, "cabbages")).to_have_count(1)
    expect(page.locator("#composer-error")).to_be_hidden()
    expect(box).to_have_value("")

    # Too long is caught before sending; the text stays to be shortened.
    long_text = "x" * 4001
    send(page, long_text)
    expect(page.locator("#composer-error")).to_contain_text("the limit is 4000")
    expect(box).to_have_value(long_text)
    assert history_texts(chat.base_url) == ["cabbages"]


def test_streams_that_end_resume_by_id_without_gaps_or_repeats(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    # Streams of 1.2 s: the app resumes one that lasted over a second at once (a shorter one
    # after a second's pause, in case streams keep ending straight away).
    server = server_factory(sse_max_seconds="1.2")
    chat = chat_factory(server.url)
    person = chat.person("max")
    catch_ups = only_streams_fill_gaps(person)
    resumes: list[str] = []
    with signed_in(server.url, "clock") as clock:
        post(clock, "before")

        def between_streams(route: Route) -> None:
            # The server ended the last stream and this one is not open yet: a message sent now
            # falls in the gap, and only resuming by id can bring it.
            if "last_event_id=" in route.request.url and len(resumes) < 2:
                resumes.append(route.request.url)
                post(clock, f"in gap {len(resumes)}")
            route.continue_()

        person.route("**/api/events?*", between_streams)
        tabs = [chat.open(person) for _ in range(3)]
        texts = ["before", "in gap 1", "in gap 2"]
        for tab in tabs:
            expect(tab.locator("#messages .msg.sent")).to_have_count(len(texts))
            assert sent_texts(tab) == texts
    assert len(resumes) == 2 and all("general%3A" in url for url in resumes), resumes
    assert catch_ups, "the app did not even try to catch up: the test would not tell stream and catch-up apart"


def test_closing_the_leader_tab_hands_over_without_loss(chat: Chat) -> None:
    person = chat.person("ned")
    only_streams_fill_gaps(person)
    streams: list[tuple[Page, str]] = []
    handed_over: list[str] = []
    with signed_in(chat.base_url, "ola") as ola:

        def on_stream(route: Route) -> None:
            page = route.request.frame.page
            if streams and page != streams[0][0] and not handed_over:
                # The leader is gone and its successor not connected yet: these fall in the gap.
                for text in ("two", "three"):
                    post(ola, text)
                    handed_over.append(text)
            streams.append((page, route.request.url))
            # A stream the closing leader tab asks for as it goes has nowhere to continue to.
            with contextlib.suppress(PlaywrightError):
                route.continue_()

        person.route("**/api/events?*", on_stream)
        tabs = [chat.open(person) for _ in range(3)]
        send(tabs[2], "one")
        for tab in tabs:
            expect(message(tab, "one")).to_have_count(1)
        # One tab holds the stream for all three: the first, which took the lock.
        assert {page for page, _ in streams} == {tabs[0]}, streams
        held = len(streams)

        tabs[0].close()
        # What fell in the gap arrives first: sent before it, "four" could land between them.
        for tab in tabs[1:]:
            expect(message(tab, "three")).to_have_count(1)
        send(tabs[1], "four")
        for tab in tabs[1:]:
            expect(tab.locator("#messages .msg.sent")).to_have_count(4)
            assert sent_texts(tab) == ["one", "two", "three", "four"]
            expect_live(tab)
    successor, url = streams[held]
    assert successor in tabs[1:] and "last_event_id=general%3A" in url, streams[held:]
    assert handed_over == ["two", "three"]


def test_lost_response_is_retried_without_a_duplicate(chat: Chat) -> None:
    person = chat.person("pia")
    # No live stream for this tab, so only the retry can tell it the message arrived.
    person.route("**/events*", lambda route: route.abort())
    page = chat.open(person, live=False)
    other = chat.open(chat.person("ron"))
    lost: list[int] = []

    def lose_first_response(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            response = route.fetch()  # the server stores the message...
            lost.append(response.status)
            route.abort("connectionreset")  # ...but the browser never hears back
        else:
            route.continue_()

    page.route(MESSAGES, lose_first_response)
    send(page, "said once")
    expect(message(other, "said once")).to_have_count(1)
    expect(message(page, "said once")).to_have_count(1, timeout=20_000)
    assert lost == [201]
    assert history_texts(chat.base_url) == ["said once"]

    person.unroute("**/events*")
    page.reload()
    expect_live(page)
    expect(message(page, "said once")).to_have_count(1)
    assert sent_texts(other) == ["said once"]
