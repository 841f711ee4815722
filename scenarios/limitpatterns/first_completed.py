"""Eight downloads, at most three at a time: a set of running tasks, topped
up each time asyncio.wait says one of them has finished."""

import asyncio

DELAYS = [1.1, 1.6, 2.4, 1.7, 2.1, 1.8, 2.1, 1.3]  # seconds each download takes
LIMIT = 3  # downloads allowed at once


async def download(n, seconds):
    print(f"download {n}: start")
    await asyncio.sleep(seconds)  # stands in for the network
    print(f"download {n}: done")


async def main():
    running = set()
    for n, seconds in enumerate(DELAYS, start=1):
        if len(running) == LIMIT:  # full: wait until any one of them ends
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        running.add(asyncio.create_task(download(n, seconds), name=f"download {n}"))
        print(f"alive: {len(running)}")
    await asyncio.wait(running)  # the last few


asyncio.run(main())
