# Four tasks take turns with one lock; waiters get it in the order they came.
import asyncio

lock = asyncio.Lock()


async def writer(n):
    await asyncio.sleep(0.01 * n)
    async with lock:
        print(f"writer {n} has the lock")
        await asyncio.sleep(0.2)


async def main():
    tasks = [asyncio.create_task(writer(n), name=f"writer {n}") for n in range(4)]
    await asyncio.wait(tasks)


asyncio.run(main())
