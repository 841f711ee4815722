# Primitives made at module level, before any loop exists.
import asyncio
from asyncio import Semaphore, Queue

sem = Semaphore(1)
lock = asyncio.Lock()
done = asyncio.Event()
q = Queue()


async def job(n):
    async with sem:
        async with lock:
            await q.put(n)
            await asyncio.sleep(0.1)
    if q.qsize() == 3:
        done.set()


async def main():
    jobs = [asyncio.create_task(job(n)) for n in range(3)]
    await done.wait()
    print(sorted([q.get_nowait() for _ in range(3)]))
    await asyncio.gather(*jobs)


asyncio.run(main())
