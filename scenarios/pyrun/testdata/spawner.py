# Starts a child process of its own, then waits a long time. It says its
# own pid and its child's as this machine's /proc numbers them: in a PID
# namespace os.getpid() would give the namespace's own numbers.
import asyncio
import os
import subprocess


def host_pids():
    me = int(os.readlink("/proc/self"))
    kids = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/children") as f:
            kids += [int(pid) for pid in f.read().split()]
    return me, kids


async def main():
    subprocess.Popen(["sleep", "30"])
    me, kids = host_pids()
    print(f"pids {me} {kids[0]}")
    await asyncio.sleep(30)


asyncio.run(main())
