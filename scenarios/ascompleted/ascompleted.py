"""Five jobs finish in their own time; main handles each one as soon as it is done."""

import asyncio

DELAYS = [1.3, 1.5, 1.2, 0.5, 1.4]  # seconds each job takes


async def job(n, seconds):
    await asyncio.sleep(seconds)  # stands in for I/O
    print(f"job {n} finished")
    return n  # the result says which job it belongs to


async def main():
    tasks = [
        asyncio.create_task(job(n, seconds), name=f"job {n}")
        for n, seconds in enumerate(DELAYS, start=1)
    ]
    # as_completed hands back the jobs in the order they finish, not the
    # order they were started.
    for next_done in asyncio.as_completed(tasks):
        n = await next_done
        print(f"handled job {n}")


asyncio.run(main())
