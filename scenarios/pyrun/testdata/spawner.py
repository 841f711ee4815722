# Starts a child process of its own, then waits a long time.
import asyncio
import os
import subprocess


async def main():
    child = subprocess.Popen(["sleep", "30"])
    print(f"pids {os.getpid()} {child.pid}")
    await asyncio.sleep(30)


asyncio.run(main())
