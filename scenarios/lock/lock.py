"""Tasks add 1 to a shared counter, with an await between the read and the
write, holding an asyncio.Lock from the read to the write: none is lost."""

import asyncio

TASKS = 3
INCREMENTS = 20  # how many times each task adds 1

counter = 0


async def add(times, lock):
    global counter
    for _ in range(times):
        async with lock:  # wait here while another task holds it
            value = counter  # read
            print(f"read {value}")
            await asyncio.sleep(0.03)  # the others wait at the lock meanwhile
            counter = value + 1  # write
            print(f"wrote {value + 1}")


async def main():
    lock = asyncio.Lock()
    async with asyncio.TaskGroup() as tg:
        for n in range(1, TASKS + 1):
            tg.create_task(add(INCREMENTS, lock), name=f"worker {n}")
    print(f"counter = {counter} (expected {TASKS * INCREMENTS})")


asyncio.run(main())
