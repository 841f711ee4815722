"""Five tasks in a TaskGroup; one fails, and the group cancels the rest."""

import asyncio

TASKS = 5  # how many tasks the group starts
FAIL = 3  # the task that fails (0: none)
FAIL_AT = 1.5  # seconds until it fails
STEP = 0.6  # task n needs n * STEP seconds


async def work(n):
    seconds = FAIL_AT if n == FAIL else n * STEP
    await asyncio.sleep(seconds)  # stands in for the network
    if n == FAIL:
        raise ValueError(f"task {n} failed")


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            for n in range(1, TASKS + 1):
                tg.create_task(work(n), name=f"task {n}")
        # Leaving the block waits for every task in the group.
        print("every task finished")
    except ExceptionGroup as group:
        for error in group.exceptions:
            print(f"group failed: {error}")


asyncio.run(main())
