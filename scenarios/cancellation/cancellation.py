"""A poller runs until main cancels it; its finally block still cleans up."""

import asyncio
import itertools

AFTER = 1.0  # seconds before main cancels the poller


async def poll():
    try:
        for n in itertools.count(1):
            print(f"poll {n}")
            await asyncio.sleep(0.3)  # wait for the next round
    except asyncio.CancelledError:
        print("poll: cancelled")
        raise  # let it through, so the task ends as cancelled
    finally:
        print("poll: cleaning up")
        await asyncio.sleep(0.2)  # close the connection, say
        print("poll: closed")


async def main():
    task = asyncio.create_task(poll(), name="poller")
    await asyncio.sleep(AFTER)
    print("main: cancelling the poller")
    task.cancel()  # only a request: CancelledError is raised inside poll
    try:
        await task  # wait until poll has finished cleaning up
    except asyncio.CancelledError:
        print("main: the poller was cancelled")


asyncio.run(main())
