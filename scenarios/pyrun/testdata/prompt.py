# The tracer's loop waits on epoll itself: in whole milliseconds, a long
# wait woken early, sockets still seen at once.
import asyncio
import socket
import threading
import time


class Polls:
    """Stands in for the selector's epoll object, noting each wait."""

    def __init__(self, ep):
        self.ep = ep
        self.waits = []

    def poll(self, timeout=-1, maxevents=-1):
        self.waits.append(timeout)
        return self.ep.poll(timeout, maxevents)

    def __getattr__(self, name):
        return getattr(self.ep, name)


async def main():
    loop = asyncio.get_running_loop()
    sel = loop._selector
    print("selector", type(sel).__name__)
    polls = Polls(sel._selector)
    sel._selector = polls

    for d in (0.5, 0.3):
        start = loop.time()
        polls.waits.clear()
        await asyncio.sleep(d)
        late = loop.time() - start - d
        print("slept", d, "late_ms", round(late * 1000, 3), "waits", ",".join(repr(w) for w in polls.waits if w))

    # A socket that becomes readable during a long wait is read at once.
    a, b = socket.socketpair()
    a.setblocking(False)
    threading.Timer(0.1, b.send, (b"x",)).start()
    order = []

    async def reader():
        await loop.sock_recv(a, 1)
        order.append("read")

    async def sleeper():
        await asyncio.sleep(0.4)
        order.append("slept")

    await asyncio.gather(reader(), sleeper())
    print("order", ",".join(order))
    a.close()
    b.close()


asyncio.run(main())
