# Work sent to a process pool: a lane per job, measured from this side.
import asyncio
from concurrent.futures import ProcessPoolExecutor


def square(n):
    print(f"worker: {n}")  # printed in the child: not an event
    return n * n


async def main():
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = await asyncio.gather(
            loop.run_in_executor(pool, square, 3),
            loop.run_in_executor(pool, square, 4),
        )
        try:
            await loop.run_in_executor(pool, lambda: 1)  # a lambda does not pickle
        except Exception as e:
            print(type(e).__name__)
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
