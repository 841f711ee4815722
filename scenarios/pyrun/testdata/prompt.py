# The tracer's loop waits with select() on its epoll descriptor: a long wait
# woken early, in microseconds rather than whole milliseconds, and sockets
# still seen at once.
import asyncio
import socket
import sys
import threading
import time

tracer = sys.modules["_asyncplay_tracer"]
waits = []
real_select = tracer._select


def noting_select(r, w, x, timeout):
    start = time.monotonic()
    ready = real_select(r, w, x, timeout)
    waits.append("%r/%r" % (timeout, time.monotonic() - start))
    return ready


tracer._select = noting_select


async def main():
    loop = asyncio.get_running_loop()
    print("selector", type(loop._selector).__name__)
    for d in (0.5, 0.3):
        waits.clear()
        await asyncio.sleep(d)
        print("slept", d, "waits", ",".join(waits))

    # A socket that becomes readable during a long wait is read at once.
    a, b = socket.socketpair()
    a.setblocking(False)
    sent = []

    def send():
        sent.append(time.monotonic())
        b.send(b"x")

    threading.Timer(0.1, send).start()
    order = []

    async def reader():
        await loop.sock_recv(a, 1)
        order.append("read")
        print("read_ms", round((time.monotonic() - sent[0]) * 1000, 1))

    async def sleeper():
        await asyncio.sleep(0.4)
        order.append("slept")

    await asyncio.gather(reader(), sleeper())
    print("order", ",".join(order))
    a.close()
    b.close()


asyncio.run(main())
