# time.sleep inside a coroutine freezes the whole loop: the ticker is late.
import asyncio
import time


async def ticker():
    for i in range(3):
        await asyncio.sleep(0.1)
        print(f"tick {i}")


async def blocker():
    await asyncio.sleep(0.05)
    time.sleep(0.3)
    print("unblocked")


async def main():
    await asyncio.gather(ticker(), blocker())


asyncio.run(main())
