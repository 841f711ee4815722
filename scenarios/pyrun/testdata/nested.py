# Tasks that start tasks, and wait_for with a timeout.
import asyncio


async def leaf(n):
    await asyncio.sleep(0.1 * n)
    return n


async def branch(n):
    kids = [asyncio.create_task(leaf(k)) for k in range(1, n + 1)]
    return sum(await asyncio.gather(*kids))


async def main():
    totals = await asyncio.gather(branch(2), branch(3))
    print("totals", totals)
    try:
        await asyncio.wait_for(asyncio.sleep(5), timeout=0.5)
    except TimeoutError:
        print("timed out")
    async with asyncio.timeout(0.2):
        await asyncio.sleep(0.1)


asyncio.run(main())
