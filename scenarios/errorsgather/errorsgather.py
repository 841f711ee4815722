"""Five jobs, two of which fail: gather waits for all and returns errors beside results."""

import asyncio

DELAYS = [1.3, 1.5, 1.2, 0.5, 1.4]  # seconds each job takes
FAIL_EVERY = 2  # every second job fails (0: none fails)


async def job(n, seconds):
    await asyncio.sleep(seconds)  # stands in for I/O
    if FAIL_EVERY and n % FAIL_EVERY == 0:
        raise ValueError("bad input")
    print(f"job {n} finished")
    return n * 10


async def main():
    tasks = [
        asyncio.create_task(job(n, seconds), name=f"job {n}")
        for n, seconds in enumerate(DELAYS, start=1)
    ]
    # With return_exceptions=True a failure does not stop gather: it waits
    # for every job and puts each exception where that job's result would be.
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for n, result in enumerate(results, start=1):
        if isinstance(result, Exception):
            print(f"job {n}: error: {result}")
        else:
            print(f"job {n}: {result}")
    if any(isinstance(result, ValueError) for result in results):
        print("some jobs had bad input")


asyncio.run(main())
