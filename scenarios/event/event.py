"""Three waiters block on one asyncio.Event; a setter fires it at 1 s, and
every one of them goes on at that instant."""

import asyncio

WAITERS = 3  # tasks that wait for the event
SET_AT = 1.0  # seconds until the setter fires it


async def waiter(n, ready):
    await asyncio.sleep(0.15 * n)  # each arrives a little after the one before
    print(f"W{n}: waiting")
    await ready.wait()  # returns at once if the event is already set
    print(f"W{n}: go")


async def setter(ready):
    await asyncio.sleep(SET_AT)
    print("setter: set")
    ready.set()  # wakes every waiter; later waiters don't wait at all


async def main():
    ready = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        for n in range(1, WAITERS + 1):
            tg.create_task(waiter(n, ready), name=f"W{n}")
        tg.create_task(setter(ready), name="setter")


asyncio.run(main())
