import asyncio

import pytest

from api.transport import eager


async def test_a_coroutine_that_never_waits_runs_to_the_end_at_once() -> None:
    done: list[str] = []

    async def quick() -> None:
        done.append("x")

    assert eager.start(quick()) is None
    assert done == ["x"]


async def test_a_waiting_coroutine_is_finished_by_whoever_awaits_the_rest() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def slow() -> None:
        steps.append("before")
        await gate
        steps.append("after")

    rest = eager.start(slow())
    assert rest is not None and steps == ["before"]
    task = asyncio.create_task(asyncio.wait_for(_await(rest), 5))
    await asyncio.sleep(0)
    assert not task.done()
    gate.set_result(None)
    await task
    assert steps == ["before", "after"]


async def test_errors_and_cancellation_reach_the_coroutine() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def guarded() -> None:
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    rest = eager.start(guarded())
    assert rest is not None
    task = asyncio.create_task(_await(rest))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]

    async def failing() -> None:
        await asyncio.sleep(0)
        raise ValueError("boom")

    rest = eager.start(failing())
    assert rest is not None
    with pytest.raises(ValueError, match="boom"):
        await rest


async def _await(awaitable: object) -> None:
    await awaitable  # type: ignore[misc]


async def test_an_abandoned_rest_is_closed_not_left_pending() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def stuck() -> None:
        try:
            await gate
        finally:
            steps.append("cleaned up")

    rest = eager.start(stuck())
    assert isinstance(rest, eager.Rest)
    rest.close()
    assert steps == ["cleaned up"]
