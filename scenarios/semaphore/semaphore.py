"""Nine downloads share three connections: a semaphore lets three run at once."""

import asyncio

DELAYS = [1.6, 1.8, 1.6, 1.0, 1.8, 1.5, 2.1, 1.2, 2.4]  # seconds each download takes
LIMIT = 3  # connections the server allows at once


async def download(n, seconds, sem):
    async with sem:  # wait here until a permit is free
        print(f"download {n}: start")
        await asyncio.sleep(seconds)  # stands in for the network
        print(f"download {n}: done")


async def main():
    sem = asyncio.Semaphore(LIMIT)
    async with asyncio.TaskGroup() as tg:
        for n, seconds in enumerate(DELAYS, start=1):
            tg.create_task(download(n, seconds, sem), name=f"download {n}")


asyncio.run(main())
