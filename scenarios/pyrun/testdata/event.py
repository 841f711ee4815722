# Three waiters block on an event; all wake when it is set at t=1.
import asyncio


async def waiter(n, ready):
    print(f"waiter {n}: waiting")
    await ready.wait()
    print(f"waiter {n}: go")


async def main():
    ready = asyncio.Event()
    tasks = [asyncio.create_task(waiter(n, ready)) for n in range(3)]
    await asyncio.sleep(1.0)
    ready.set()
    await asyncio.gather(*tasks)


asyncio.run(main())
