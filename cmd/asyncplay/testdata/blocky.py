# Two tickers; main blocks the loop with time.sleep, then hands work to a thread.
import asyncio, time

async def ticker(n):
    for i in range(4):
        print(f"tick {n}.{i}")
        await asyncio.sleep(0.1)

def crunch():
    time.sleep(0.2)
    return 42

async def main():
    t = [asyncio.create_task(ticker(k), name=f"ticker {k}") for k in range(2)]
    await asyncio.sleep(0.05)
    time.sleep(0.15)   # blocks the loop
    r = await asyncio.to_thread(crunch)
    print("got", r)
    await asyncio.gather(*t)

asyncio.run(main())
