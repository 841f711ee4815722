# Race two tasks with asyncio.wait(FIRST_COMPLETED) and cancel the loser.
import asyncio


async def fetch(source, seconds):
    await asyncio.sleep(seconds)
    return source


async def main():
    fast = asyncio.create_task(fetch("mirror", 0.2))
    slow = asyncio.create_task(fetch("origin", 1.0))
    done, pending = await asyncio.wait({fast, slow}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    print("winner:", done.pop().result())


asyncio.run(main())
