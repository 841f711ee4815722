"""Two coroutines awaited one after the other: their waits add up."""

import asyncio

DELAYS = [1.0, 2.0]  # seconds before "hello", then before "world"


async def say_after(delay, what):
    await asyncio.sleep(delay)  # stands in for I/O
    print(what)


async def main():
    hello_delay, world_delay = DELAYS
    loop = asyncio.get_running_loop()
    start = loop.time()
    await say_after(hello_delay, "hello")  # runs to its end before the next line
    await say_after(world_delay, "world")
    print(f"finished in {loop.time() - start:.1f} s")


asyncio.run(main())
