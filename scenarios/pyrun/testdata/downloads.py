import asyncio
DELAYS = [1.0, 2.0, 1.5, 1.0]
LIMIT = 2
async def download(n, seconds, sem):
    async with sem:
        print(f"download {n}: start")
        await asyncio.sleep(seconds)
        print(f"download {n}: done")
async def main():
    sem = asyncio.Semaphore(LIMIT)
    async with asyncio.TaskGroup() as tg:
        for n, seconds in enumerate(DELAYS, start=1):
            tg.create_task(download(n, seconds, sem), name=f"download {n}")
asyncio.run(main())
