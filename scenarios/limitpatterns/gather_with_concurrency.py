"""Eight downloads, at most three at a time: a gather that holds a semaphore
around each coroutine. Every task exists from the start."""

import asyncio

DELAYS = [1.1, 1.6, 2.4, 1.7, 2.1, 1.8, 2.1, 1.3]  # seconds each download takes
LIMIT = 3  # downloads allowed at once


async def download(n, seconds):
    print(f"download {n}: start")
    await asyncio.sleep(seconds)  # stands in for the network
    print(f"download {n}: done")


async def gather_with_concurrency(n, *coros):
    """Like asyncio.gather, but at most n of the coroutines run at once."""
    sem = asyncio.Semaphore(n)

    async def limited(coro):
        async with sem:
            return await coro

    tasks = [
        asyncio.create_task(limited(c), name=f"{c.__name__} {i}")
        for i, c in enumerate(coros, start=1)
    ]
    print(f"alive: {len(tasks)}")
    return await asyncio.gather(*tasks)


async def main():
    downloads = [download(n, seconds) for n, seconds in enumerate(DELAYS, start=1)]
    await gather_with_concurrency(LIMIT, *downloads)


asyncio.run(main())
