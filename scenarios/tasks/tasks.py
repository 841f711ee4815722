"""The same two calls as tasks: they wait at the same time, so the run takes
as long as the longer one, not the sum."""

import asyncio

DELAYS = [1.0, 2.0]  # seconds before "hello", then before "world"


async def say_after(delay, what):
    await asyncio.sleep(delay)  # stands in for I/O
    print(what)


async def main():
    hello_delay, world_delay = DELAYS
    loop = asyncio.get_running_loop()
    start = loop.time()
    # Both start running as soon as main reaches its first await.
    hello = asyncio.create_task(say_after(hello_delay, "hello"), name="hello")
    world = asyncio.create_task(say_after(world_delay, "world"), name="world")
    await hello
    await world
    print(f"finished in {loop.time() - start:.1f} s")


asyncio.run(main())
