# The same wait in a thread: the loop keeps running and the ticker is on time.
import asyncio
import time


async def ticker():
    for i in range(3):
        await asyncio.sleep(0.1)
        print(f"tick {i}")


async def blocker():
    await asyncio.sleep(0.05)
    await asyncio.to_thread(time.sleep, 0.3)
    print("unblocked")


async def main():
    await asyncio.gather(ticker(), blocker())


asyncio.run(main())
