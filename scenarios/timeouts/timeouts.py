"""A slow call with a deadline: asyncio.timeout gives up on it when time is up."""

import asyncio

WORK = 3.0  # seconds the slow call takes
TIMEOUT = 1.5  # seconds main is willing to wait for it


async def fetch(seconds):
    print("fetch: start")
    await asyncio.sleep(seconds)  # stands in for a slow server
    print("fetch: done")


async def main():
    task = asyncio.create_task(fetch(WORK), name="fetch")
    try:
        async with asyncio.timeout(TIMEOUT):  # the deadline: now + TIMEOUT
            await task
        print("main: got the reply")
    except TimeoutError:  # the deadline passed: task was cancelled
        print("main: timed out")


asyncio.run(main())
