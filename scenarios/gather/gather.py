"""Five jobs run at once and finish in any order; gather still returns their
results in the order the jobs were given."""

import asyncio

DELAYS = [1.3, 1.5, 1.2, 0.5, 1.4]  # seconds each job takes


async def job(n, seconds):
    await asyncio.sleep(seconds)  # stands in for I/O
    print(f"job {n} finished")
    return n  # a real job would return what it fetched


async def main():
    tasks = [
        asyncio.create_task(job(n, seconds), name=f"job {n}")
        for n, seconds in enumerate(DELAYS, start=1)
    ]
    results = await asyncio.gather(*tasks)  # in the order of tasks
    print(f"results: {results}")


asyncio.run(main())
