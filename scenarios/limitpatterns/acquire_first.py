"""Eight downloads, at most three at a time: main takes a permit *before*
it creates each task, and the task gives it back when it ends."""

import asyncio

DELAYS = [1.1, 1.6, 2.4, 1.7, 2.1, 1.8, 2.1, 1.3]  # seconds each download takes
LIMIT = 3  # downloads allowed at once


async def download(n, seconds, sem):
    try:
        print(f"download {n}: start")
        await asyncio.sleep(seconds)  # stands in for the network
        print(f"download {n}: done")
    finally:
        sem.release()  # the permit main took for this download


async def main():
    sem = asyncio.Semaphore(LIMIT)
    async with asyncio.TaskGroup() as tg:
        for n, seconds in enumerate(DELAYS, start=1):
            await sem.acquire()  # no task exists until a permit is free
            tg.create_task(download(n, seconds, sem), name=f"download {n}")
            print(f"alive: {len(asyncio.all_tasks()) - 1}")  # every task but main


asyncio.run(main())
