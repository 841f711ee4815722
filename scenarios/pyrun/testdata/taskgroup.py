# One task in a TaskGroup fails at t=1; the group cancels its siblings.
import asyncio


async def fails():
    await asyncio.sleep(1.0)
    raise ValueError("boom")


async def slow(n):
    await asyncio.sleep(5.0)
    print(f"slow {n} finished")


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fails())
            tg.create_task(slow(1))
            tg.create_task(slow(2))
    except* ValueError as eg:
        print(f"caught {eg.exceptions[0]!r}")


asyncio.run(main())
