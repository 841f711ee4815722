"""Twenty API calls: started at a steady rate, at most five in flight, and
each reply processed on a small thread pool so the event loop stays free."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

DELAYS = [0.8, 0.9, 0.8, 0.5, 0.9, 0.8, 1.1, 0.6, 1.2, 1.5, 1.5, 1.5, 0.7, 1.1, 1.3, 0.6, 0.6, 1.1, 0.8, 0.5]  # seconds each API call takes
LIMIT = 5  # requests in flight at once, at most
RATE = 8  # requests started per second, at most
WORKERS = 2  # threads that process replies
WORK = 0.3  # seconds of processing per reply


class RateLimiter:
    """Lets one caller through every 1/per_second seconds."""

    def __init__(self, per_second):
        self.interval = 1 / per_second
        self.next_start = 0.0

    async def wait(self):
        now = asyncio.get_running_loop().time()
        start = max(now, self.next_start)
        self.next_start = start + self.interval
        await asyncio.sleep(start - now)


def process(n):
    time.sleep(WORK)  # stands in for CPU work; it runs on a pool thread
    print(f"item {n}: processed")


async def request(n, seconds, sem, pool):
    async with sem:  # at most LIMIT requests in flight
        print(f"request {n}: sent")
        await asyncio.sleep(seconds)  # stands in for the API call
        print(f"request {n}: reply")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(pool, process, n)  # the loop stays free meanwhile


async def main():
    sem = asyncio.Semaphore(LIMIT)
    limiter = RateLimiter(RATE)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        async with asyncio.TaskGroup() as tg:
            for n, seconds in enumerate(DELAYS, start=1):
                await limiter.wait()  # at most RATE starts a second
                tg.create_task(request(n, seconds, sem, pool), name=f"request {n}")


asyncio.run(main())
