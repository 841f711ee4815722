"""Steps of about 4 ms of work each on one CPU shared with busy processes,
then one step that calls time.sleep: only the last holds the loop itself."""
import asyncio
import os
import time

CPU = 0
STEPS = 20


async def main():
    os.sched_setaffinity(0, {CPU})
    waited = 0
    for _ in range(STEPS):
        t = time.perf_counter()
        end = time.thread_time() + 0.004
        while time.thread_time() < end:
            pass
        if time.perf_counter() - t > 0.06:
            waited += 1
        await asyncio.sleep(0)
    print(f"waited {waited}")
    time.sleep(0.12)  # the program's own blocking call


asyncio.run(main())
