"""Tasks add 1 to a shared counter, with an await between the read and the
write and no lock: they overwrite each other's updates."""

import asyncio

TASKS = 3
INCREMENTS = 20  # how many times each task adds 1

counter = 0


async def add(times):
    global counter
    for _ in range(times):
        value = counter  # read
        print(f"read {value}")
        await asyncio.sleep(0.03)  # any await lets the other tasks run here
        counter = value + 1  # write: overwrites whatever they wrote meanwhile
        print(f"wrote {value + 1}")


async def main():
    async with asyncio.TaskGroup() as tg:
        for n in range(1, TASKS + 1):
            tg.create_task(add(INCREMENTS), name=f"worker {n}")
    print(f"counter = {counter} (expected {TASKS * INCREMENTS})")


asyncio.run(main())
