# The semaphore is acquired by main before each task starts; the task releases it.
import asyncio

LIMIT = 2


async def job(n, sem):
    try:
        await asyncio.sleep(0.3)
        print(f"job {n} done")
    finally:
        sem.release()


async def main():
    sem = asyncio.Semaphore(LIMIT)
    tasks = []
    for n in range(5):
        await sem.acquire()
        tasks.append(asyncio.create_task(job(n, sem)))
    await asyncio.gather(*tasks)


asyncio.run(main())
