"""A producer that makes an item every 0.2 s, two consumers that need 1 s
each: once the queue is full, the producer waits in put()."""

import asyncio

ITEMS = 8  # items each producer makes
MAXSIZE = 2  # the queue holds at most this many
PRODUCERS = 1
CONSUMERS = 2
PRODUCE = 0.2  # seconds to make one item
CONSUME = 1.0  # seconds to handle one item


async def producer(p, q):
    await asyncio.sleep(0.1 * p)  # start one after another
    for i in range(1, ITEMS + 1):
        await asyncio.sleep(PRODUCE)  # make an item
        await q.put(f"P{p}-{i}")  # waits while the queue is full


async def consumer(c, q):
    await asyncio.sleep(0.4 * c)  # start one after another
    while (item := await q.get()) is not None:  # waits while it is empty
        print(f"consumer {c}: got {item}")
        await asyncio.sleep(CONSUME)  # handle the item


async def main():
    q = asyncio.Queue(maxsize=MAXSIZE)
    async with asyncio.TaskGroup() as tg:
        for c in range(1, CONSUMERS + 1):
            tg.create_task(consumer(c, q), name=f"consumer {c}")
        producers = [
            tg.create_task(producer(p, q), name=f"producer {p}")
            for p in range(1, PRODUCERS + 1)
        ]
        await asyncio.gather(*producers)  # every item is in the queue
        for _ in range(CONSUMERS):
            await q.put(None)  # one "no more items" for each consumer


asyncio.run(main())
