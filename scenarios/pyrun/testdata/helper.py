# Tasks started from a helper function, none named.
import asyncio


async def worker(n):
    await asyncio.sleep(0.1 * n)
    return n * n


def start(n):
    return asyncio.create_task(worker(n))


async def main():
    tasks = [start(n) for n in range(1, 4)]
    print(await asyncio.gather(*tasks))


asyncio.run(main())
