# An ordinary asyncio program the tracer was not written for: a queue of
# jobs, two workers started from a helper, cancelled when the queue drains.
import asyncio

JOBS = [0.3, 0.1, 0.2, 0.4]


async def worker(q, results):
    while True:
        seconds = await q.get()
        await asyncio.sleep(seconds)
        results.append(seconds)
        q.task_done()


def start_workers(q, results, n):
    return [asyncio.create_task(worker(q, results)) for _ in range(n)]


async def main():
    q = asyncio.Queue()
    results = []
    workers = start_workers(q, results, 2)
    for j in JOBS:
        q.put_nowait(j)
    await q.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print("results", results)


asyncio.run(main())
