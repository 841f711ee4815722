# asyncplay's fork server: one interpreter that has imported what the tracer
# needs and compiled the tracer, and forks a child per run. A child starts
# in a millisecond or two, where a fresh interpreter spends 50-80 ms of CPU
# importing asyncio and the rest.
#
# The server (pyrun's forkServer) talks to it over a SOCK_SEQPACKET socket on
# fd 3, one JSON message each way per step:
#
#   server -> here: {"id": N, "argv": [...], "nice": K} with the run's stdin,
#                   stdout and stderr as SCM_RIGHTS
#   here -> server: {"ready": true} once, after start-up
#                   {"id": N, "pid": P}          the run's child started
#                   {"id": N, "error": "..."}    it could not be
#                   {"id": N, "status": S}       it ended: its wait status
#
# The tracer's source comes on stdin at start-up. When the socket closes
# (the server has gone, or is done with us), every run still going is
# killed and the fork server exits. Each child is the leader of a process
# group of its own, which the server kills when the run ends.
import gc

# No collection here: the fork server's own allocations are few, and a
# collection would scatter holes through the pages its children share.
gc.disable()

import ast
import asyncio
import asyncio.events
import asyncio.locks
import asyncio.queues
import asyncio.taskgroups
import asyncio.tasks
import asyncio.timeouts
import atexit
import builtins
import collections
import collections.abc
import concurrent.futures
import contextvars
import functools
import importlib.util
import inspect
import io
import json
import linecache
import math
import os
import re
import reprlib
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
import types
import warnings
import weakref

_SOCK_FD = 3
_MAX_REQUEST = 1 << 16


def _serve():
    tracer = compile(sys.stdin.buffer.read(), "<string>", "exec", dont_inherit=True)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    sock = socket.socket(fileno=_SOCK_FD)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    runs = {}  # pid -> request id

    def send(msg):
        try:
            sock.send(json.dumps(msg).encode())
        except OSError:
            pass  # the server is gone; the next read says so

    send({"ready": True})
    while True:
        for key, _ in sel.select():
            if key.fileobj is sock:
                try:
                    msg, fds, _, _ = socket.recv_fds(sock, _MAX_REQUEST, 3)
                except InterruptedError:
                    continue
                except OSError:
                    msg, fds = b"", []
                if not msg:
                    for pid in runs:
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    return
                req = None
                try:
                    req = json.loads(msg)
                    if len(fds) != 3:
                        raise ValueError("want 3 file descriptors, got %d" % len(fds))
                    pid = os.fork()
                except Exception as e:
                    for fd in fds:
                        os.close(fd)
                    send({"id": req.get("id") if isinstance(req, dict) else None, "error": str(e)})
                    continue
                if pid == 0:
                    _child(req, fds, tracer, (sock, sel, wake_r, wake_w))
                    raise SystemExit(0)  # not reached: _child ends the process
                for fd in fds:
                    os.close(fd)
                runs[pid] = req["id"]
                send({"id": req["id"], "pid": pid})
            else:
                try:
                    while os.read(wake_r, 512):
                        pass
                except OSError:
                    pass
        while runs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in runs:
                send({"id": runs.pop(pid), "status": status})


def _child(req, fds, tracer, ours):
    """Becomes the run: never returns; the tracer's exit ends the process."""
    try:
        os.setpgid(0, 0)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # A child shares its pages with the fork server until it writes to
        # them; each first write is a page fault and a copy. Left to happen
        # as the program runs, they put a millisecond or two of stalls into
        # its timeline (on the virtual clock too, which counts real time
        # spent working). One collection now, before the clock starts,
        # writes to every object's header and takes most of them at once.
        gc.collect()
        gc.enable()
        sock, sel, wake_r, wake_w = ours
        sel.close()
        sock.close()
        os.close(wake_r)
        os.close(wake_w)
        nice = int(req.get("nice") or 0)
        if nice > 0:
            os.nice(nice)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.argv = ["-c"] + [str(a) for a in req["argv"]]
        main = types.ModuleType("__main__")
        main.__builtins__ = builtins
        sys.modules["__main__"] = main
    except BaseException:
        os._exit(71)
    # The tracer ends with SystemExit, which unwinds out of _serve and lets
    # the interpreter exit as any other would: atexit, then flushed streams.
    exec(tracer, main.__dict__)


if __name__ == "__main__":
    _serve()
