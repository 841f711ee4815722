"""Eight downloads, at most three at a time: three worker tasks take jobs
from one queue until it is empty, then main cancels them."""

import asyncio

DELAYS = [1.1, 1.6, 2.4, 1.7, 2.1, 1.8, 2.1, 1.3]  # seconds each download takes
LIMIT = 3  # downloads allowed at once: the number of workers


async def download(n, seconds):
    print(f"download {n}: start")
    await asyncio.sleep(seconds)  # stands in for the network
    print(f"download {n}: done")


async def worker(jobs):
    while True:
        n, seconds = await jobs.get()
        try:
            await download(n, seconds)
        finally:
            jobs.task_done()  # q.join() counts these


async def main():
    jobs = asyncio.Queue()
    for n, seconds in enumerate(DELAYS, start=1):
        jobs.put_nowait((n, seconds))
    count = min(LIMIT, len(DELAYS))  # no more workers than jobs
    workers = [asyncio.create_task(worker(jobs), name=f"worker {w}") for w in range(1, count + 1)]
    print(f"alive: {len(workers)}")
    await jobs.join()  # every job taken and marked done
    for w in workers:
        w.cancel()  # each is waiting on jobs.get(), which would never return
    await asyncio.gather(*workers, return_exceptions=True)


asyncio.run(main())
