"""Ten GET requests to a local test server through one shared pool of at
most three keep-alive connections: each request reuses an idle connection,
opens a new one while the pool has room, or waits for one to come back."""

import asyncio
import contextlib

REQUESTS = 10  # GET requests to send
CONNECTIONS = 3  # connections the pool may keep open
LATENCY = 0.3  # seconds the server takes to answer
GAP = 0.04  # seconds between one request and the next


async def serve(reader, writer):
    """The test server's side of one connection: answer until the client hangs up."""
    while request_line := await reader.readline():
        while await reader.readline() not in (b"\r\n", b""):
            pass  # skip the headers
        path = request_line.split()[1].decode()
        print(f"GET {path}")
        await asyncio.sleep(LATENCY)  # the server takes its time
        body = f"item {path.rsplit('/', 1)[1]}".encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
    writer.close()


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, number, reader, writer):
        self.number, self.reader, self.writer = number, reader, writer

    async def get(self, path):
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, (await self.reader.readexactly(length)).decode()

    async def close(self):
        self.writer.write_eof()  # no more requests
        await self.reader.read()  # the server hangs up in turn
        self.writer.close()
        await self.writer.wait_closed()


class Pool:
    """At most `limit` connections to one server; an idle one is reused first."""

    def __init__(self, host, port, limit):
        self.host, self.port = host, port
        self.slots = asyncio.Semaphore(limit)  # connections in use at once
        self.idle = []  # open connections that no request is using
        self.opened = 0

    @contextlib.asynccontextmanager
    async def connection(self):
        async with self.slots:
            if self.idle:
                conn, how = self.idle.pop(), "reused"
            else:
                self.opened += 1
                reader, writer = await asyncio.open_connection(self.host, self.port)
                conn, how = Connection(self.opened, reader, writer), "new"
            try:
                yield conn, how
            except BaseException:
                conn.writer.close()  # in an unknown state: never reuse it
                raise
            self.idle.append(conn)  # keep it open for the next request

    async def close(self):
        for conn in self.idle:
            await conn.close()


async def get(pool, n):
    async with pool.connection() as (conn, how):
        print(f"request {n}: connection {conn.number}, {how}")
        status, body = await conn.get(f"/item/{n}")
        print(f"request {n}: {status} {body}")


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)  # loopback, a free port
    port = server.sockets[0].getsockname()[1]
    pool = Pool("127.0.0.1", port, CONNECTIONS)
    async with asyncio.TaskGroup() as tg:
        for n in range(1, REQUESTS + 1):
            tg.create_task(get(pool, n), name=f"request {n}")
            await asyncio.sleep(GAP)  # the next request comes a little later
    await pool.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
