# Six downloads share a semaphore: never more than LIMIT run at once.
import asyncio

LIMIT = 2
JOBS = 6


async def download(n, sem):
    async with sem:
        print(f"download {n}: start")
        await asyncio.sleep(0.5 + 0.1 * n)
        print(f"download {n}: done")


async def main():
    sem = asyncio.Semaphore(LIMIT)
    await asyncio.gather(*(download(n, sem) for n in range(JOBS)))


asyncio.run(main())
