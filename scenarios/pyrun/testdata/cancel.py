# main cancels a worker mid-sleep; the worker cleans up in finally.
import asyncio


async def worker():
    try:
        print("working")
        await asyncio.sleep(10)
    finally:
        print("cleanup")


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(0.5)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("worker cancelled")


asyncio.run(main())
