# Workers fed by a queue, cancelled once the queue is drained.
import asyncio


async def worker(q):
    while True:
        item = await q.get()
        await asyncio.sleep(0.1 * item)
        q.task_done()


async def main():
    q = asyncio.Queue()
    for item in [1, 2, 3, 1, 2, 3]:
        q.put_nowait(item)
    workers = [asyncio.create_task(worker(q)) for _ in range(3)]
    await q.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print("all done")


asyncio.run(main())
