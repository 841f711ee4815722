# Five seconds of asyncio sleeping.
import asyncio


async def main():
    for i in range(5):
        await asyncio.sleep(1.0)
        print(f"second {i + 1}")


asyncio.run(main())
