"""The same CPU work on one thread, on a pool of threads, and on a pool of processes."""

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

JOBS = 4  # pieces of work, all the same size
N = 1000000  # each job counts up to N in pure Python


def count(n):
    total = 0
    for i in range(n):
        total += i
    return total


async def timed(label, pool):
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    await asyncio.gather(*(loop.run_in_executor(pool, count, N) for _ in range(JOBS)))
    print(f"{label}: {time.perf_counter() - start:.3f} s")


async def main():
    with ThreadPoolExecutor(max_workers=1) as pool:
        await timed("one thread", pool)
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        await timed("threads", pool)
    with ProcessPoolExecutor(max_workers=JOBS) as pool:
        await timed("processes", pool)


if __name__ == "__main__":  # where workers start by importing this file, they must not run main
    asyncio.run(main())
