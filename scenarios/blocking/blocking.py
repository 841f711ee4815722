"""Three tickers and a task that calls time.sleep: the whole event loop stops."""

import asyncio
import time

TICKERS = 3  # tasks that print on a steady beat
TICKS = 6  # lines each ticker prints
TICK = 0.2  # seconds between a ticker's lines
BLOCK = 1.0  # seconds the blocking call takes


async def ticker(n):
    for i in range(1, TICKS + 1):
        await asyncio.sleep(TICK)
        print(f"ticker {n}: tick {i}")


async def blocker():
    await asyncio.sleep(TICK * 2.5)  # let the tickers tick twice
    print("blocker: blocking call starts")
    time.sleep(BLOCK)  # holds the thread, and the event loop runs on it
    print("blocker: blocking call returned")


async def main():
    async with asyncio.TaskGroup() as tg:
        for n in range(1, TICKERS + 1):
            tg.create_task(ticker(n), name=f"ticker {n}")
        tg.create_task(blocker(), name="blocker")


asyncio.run(main())
