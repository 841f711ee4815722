# Two short sleeps, for the real clock.
import asyncio


async def main():
    await asyncio.sleep(0.2)
    print("first")
    await asyncio.sleep(0.2)
    print("second")


asyncio.run(main())
