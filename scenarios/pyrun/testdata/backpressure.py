# A fast producer and a slow consumer: the bounded queue pushes back.
import asyncio


async def producer(q):
    for i in range(5):
        await q.put(i)
        print(f"put {i}")
    await q.put(None)


async def consumer(q):
    while (item := await q.get()) is not None:
        await asyncio.sleep(0.5)
        print(f"got {item}")


async def main():
    q = asyncio.Queue(maxsize=2)
    await asyncio.gather(producer(q), consumer(q))


asyncio.run(main())
