# asyncplay tracer: runs a Python asyncio program unmodified and reports what
# its tasks do, one JSON event per line on the original stdout (the format is
# timeline.Event's, see scenarios/timeline/event.go).
#
#   python3 -I -c <this file> [--virtual] [--blocked-ms N] [--set NAME=JSON ...]
#                             [--name FILENAME] PROGRAM|-
#
# Standard library only; works on CPython 3.11 and later. The program's stdout
# becomes log events; its stderr is left alone. Every event loop the program
# makes is a traced subclass of the selector loop; every task runs its
# coroutine through a wrapper that sees each step, so a task's end and a step
# that holds the loop too long are caught exactly where they happen. asyncio's
# primitives are replaced by subclasses that report waits, acquires and puts.
#
# The tracer never changes what the program computes. Its own bookkeeping is
# guarded: an error in it is reported on stderr and the program carries on
# (with ASYNCPLAY_TRACER_STRICT=1, such a run exits 70 at the end instead of 0).

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
import select
import selectors
import signal
import sys
import threading
import time
import traceback
import types
import warnings
import weakref

_G = globals()
_mono = time.monotonic
_wall_sleep = time.sleep  # as imported: a program may replace time.sleep
_T0 = _mono()          # the run's start on the monotonic clock
_skipped = 0.0         # seconds the virtual clock jumped ahead of real time
_VIRTUAL = False
_BLOCKED = 0.050       # a step longer than this (seconds) is reported as blocked
_PROG = "\0no program"  # the program's filename, as its code objects carry it
_STRICT = os.environ.get("ASYNCPLAY_TRACER_STRICT") == "1"
_NO_TASK = "(no task)"
_MAX_LABEL = 200
_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep

_lock = threading.RLock()  # guards the writer, the lane names and pending spawns
_out = None                # private text stream on the original stdout
_dead = False              # the reader went away; stop writing
_tls = threading.local()
_internal_errors = 0

_orig = types.SimpleNamespace(
    Semaphore=asyncio.locks.Semaphore,
    BoundedSemaphore=asyncio.locks.BoundedSemaphore,
    Lock=asyncio.locks.Lock,
    Event=asyncio.locks.Event,
    Condition=asyncio.locks.Condition,
    Barrier=getattr(asyncio.locks, "Barrier", None),
    Queue=asyncio.queues.Queue,
    PriorityQueue=asyncio.queues.PriorityQueue,
    LifoQueue=asyncio.queues.LifoQueue,
    TaskGroup=asyncio.taskgroups.TaskGroup,
    Timeout=asyncio.timeouts.Timeout,
    sleep=asyncio.tasks.sleep,
    gather=asyncio.tasks.gather,
    wait=asyncio.tasks.wait,
    wait_for=asyncio.tasks.wait_for,
    as_completed=asyncio.tasks.as_completed,
    current_task=asyncio.tasks.current_task,
    Task=asyncio.tasks.Task,
    Future=asyncio.Future,
    CancelledError=asyncio.CancelledError,
)


# ---------------------------------------------------------------- bookkeeping


def _internal():
    """Reports an error in the tracer's own bookkeeping; the program goes on."""
    global _internal_errors
    _internal_errors += 1
    if _internal_errors <= 5:
        msg = "asyncplay tracer: internal error (the program keeps running):\n"
        msg += traceback.format_exc()
        try:
            os.write(2, msg.encode("utf-8", "backslashreplace"))
        except OSError:
            pass


def _now():
    """Seconds since the run started, on the run's clock."""
    return _mono() - _T0 + _skipped


def _seconds(x):
    """x as a JSON-safe, non-negative number of seconds."""
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    if x != x or x < 0:
        return 0.0
    if x > 1e6:
        return 1e6
    return round(x, 6)


def _clip(s):
    if not isinstance(s, str):
        s = str(s)
    return s if len(s) <= _MAX_LABEL else s[: _MAX_LABEL - 1] + "…"


_STEP_BUFFER = 1000  # events a step may hold back (see _write_event)
_bufs = {}           # thread id -> lines held back by the step running there


def _format_event(t, lane, kind, label="", line=0, value=0, dur=0.0):
    ev = {"t": _seconds(t), "lane": lane, "kind": kind}
    if label:
        ev["label"] = _clip(label)
    if line:
        ev["line"] = int(line)
    if value:
        ev["value"] = int(value)
    if dur:
        d = _seconds(dur)
        if d:
            ev["dur"] = d
    return json.dumps(ev, ensure_ascii=True, allow_nan=False) + "\n"


def _write_event(t, lane, kind, label="", line=0, value=0, dur=0.0):
    """Writes one event line. Call with _lock held.

    While a task step runs, its thread's events are held back until the step
    ends, so that a `blocked` event (known only then, dated at the step's
    start) can go first and the stream stays in time order. Anything written
    directly (another thread, a step with too much to hold) first lets the
    held lines out, since they are older."""
    if _dead or _out is None:
        return
    s = _format_event(t, lane, kind, label, line, value, dur)
    buf = getattr(_tls, "buf", None)
    if buf is not None and len(buf) < _STEP_BUFFER:
        buf.append(s)
        return
    _drain()
    _raw((s,))


def _raw(lines):
    """Writes lines to the event stream. Call with _lock held."""
    global _dead
    if _dead or not lines:
        return
    try:
        _out.write("".join(lines))
        _out.flush()
    except (OSError, ValueError):
        _dead = True


def _drain():
    """Writes every line held back by running steps. Call with _lock held."""
    if _bufs:
        for buf in list(_bufs.values()):
            if buf:
                _raw(buf)
                del buf[:]


# Lane names: unique within the run. "worker", then "worker #2", "worker #3"...
_taken = {_NO_TASK}
_next_suffix = {}


def _unique(base):
    """Claims a lane name built from base. Call with _lock held."""
    base = _clip(base.replace("\n", " ")) if base else "task"
    if len(base) > _MAX_LABEL - 10:
        base = base[: _MAX_LABEL - 10]
    if base not in _taken:
        _taken.add(base)
        return base
    n = _next_suffix.get(base, 1)
    while True:
        n += 1
        name = f"{base} #{n}"
        if name not in _taken:
            break
    _next_suffix[base] = n
    _taken.add(name)
    return name


_DEFAULT_TASK_NAME = re.compile(r"Task-\d+\Z")


class _Rec:
    """What the tracer knows about one lane: a task or a piece of thread work."""

    __slots__ = ("kind", "qualname", "t0", "line", "lane", "task", "coro",
                 "regions", "resume", "wake", "ended", "__weakref__")

    def __init__(self, kind, qualname, line):
        self.kind = kind          # "task" or "thread"
        self.qualname = qualname  # what the lane runs
        self.t0 = _now()          # when it was created
        self.line = line          # where it was created
        self.lane = None          # its name, decided at its spawn event
        self.task = None          # weak reference to the asyncio task
        self.coro = None          # the task's own coroutine (not the wrapper)
        self.regions = []         # blocking calls in progress, innermost last
        self.resume = None        # line of a wait on a future: wake when resumed
        self.wake = None          # (t, line) of a wake owed if the lane goes on
        self.ended = False


_pending = collections.deque()  # task records whose spawn event is not written yet


def _resolve(rec):
    """Names a task's lane: its explicit name, else its coroutine's qualname."""
    base = None
    task = rec.task() if rec.task is not None else None
    if task is not None:
        try:
            name = task.get_name()
        except Exception:
            name = None
        if isinstance(name, str) and name and not _DEFAULT_TASK_NAME.match(name):
            base = name
    rec.lane = _unique(base or rec.qualname or "task")


def _flush_pending():
    """Writes the spawn events of tasks created so far. Call with _lock held.

    A task's spawn waits until the next event so that a name given right
    after creation (create_task(name=...) on 3.11 sets it that way, and so
    does task.set_name) is the lane's name; nothing is written in between,
    so the stream stays in time order."""
    while _pending:
        rec = _pending.popleft()
        if rec.lane is None:
            _resolve(rec)
        _write_event(rec.t0, rec.lane, "spawn", rec.qualname, rec.line)


# Kinds that show the lane running: a wake owed to it is written before them.
_ACTIVE = frozenset(("log", "acquire", "release", "set", "put", "get", "wait",
                     "sleep", "done", "spawn"))


def _emit(rec, kind, label="", line=0, value=0, dur=0.0, t=None):
    """Writes an event on rec's lane (rec None: the "(no task)" lane)."""
    if t is None:
        t = _now()
    with _lock:
        if _pending:
            _flush_pending()
        if rec is None:
            lane = _NO_TASK
        else:
            if rec.lane is None:
                _resolve(rec)
            lane = rec.lane
            if rec.wake is not None:
                wt, wl = rec.wake
                if kind in _ACTIVE:
                    rec.wake = None
                    _write_event(wt, lane, "wake", "", wl)
                else:  # a marker (timeout...) comes first: the wake follows it
                    rec.wake = (max(wt, t), wl)
        _write_event(t, lane, kind, label, line, value, dur)


def _flush_wake(rec):
    """Writes a wake owed to rec's lane, now that it is known to go on."""
    if rec is not None and rec.wake is not None:
        with _lock:
            if rec.wake is not None:
                wt, wl = rec.wake
                rec.wake = None
                if rec.lane is None:
                    _resolve(rec)
                _write_event(wt, rec.lane, "wake", "", wl)


def _cur():
    """The record of the lane running now, or None."""
    st = getattr(_tls, "stack", None)
    if st:
        return st[-1]
    return getattr(_tls, "thread", None)


def _line():
    """The innermost line of the program on the current stack, or 0."""
    try:
        return _frame_line(sys._getframe(1))
    except ValueError:
        return 0


def _frame_line(f):
    """The innermost program line from frame f outwards, within one task step
    or loop callback: the frames below those are the loop's, and the program
    line there is only where it called asyncio.run."""
    while f is not None:
        code = f.f_code
        if code.co_filename == _PROG:
            return f.f_lineno or 0
        if code is _STEP_CODE or code is _RUN_ONCE_CODE:
            return 0
        f = f.f_back
    return 0


def _await_line(coro):
    """The innermost program line where a suspended coroutine chain waits."""
    line = 0
    c = coro
    for _ in range(100):
        if c is None:
            break
        f = getattr(c, "cr_frame", None)
        if f is not None or hasattr(c, "cr_await"):
            nxt = getattr(c, "cr_await", None)
        else:
            f = getattr(c, "gi_frame", None)
            nxt = getattr(c, "gi_yieldfrom", None)
        if f is not None and f.f_code.co_filename == _PROG:
            line = f.f_lineno or line
        c = nxt
    return line


def _tb_line(tb):
    """The innermost program line in a traceback, or 0."""
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _PROG:
            line = tb.tb_lineno or line
        tb = tb.tb_next
    return line


def _from_asyncio():
    """Whether the caller of the calling function is asyncio's own code."""
    try:
        f = sys._getframe(2)
    except ValueError:
        return False
    name = f.f_globals.get("__name__", "")
    return isinstance(name, str) and (name == "asyncio" or name.startswith("asyncio."))


_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = 8
_repr.maxtuple = 8
_repr.maxdict = 6
_repr.maxset = 8


def _short(value):
    """A short repr of a result; "" for None."""
    if value is None:
        return ""
    try:
        return _clip(_repr.repr(value))
    except Exception:
        return "<unrepresentable " + type(value).__name__ + ">"


def _error_label(e):
    try:
        msg = str(e)
    except Exception:
        msg = ""
    name = type(e).__name__
    return _clip(f"{name}: {msg}" if msg else name)


# ---------------------------------------------------------------- captured stdout

_partial = {}  # lane record (or _NO_TASK) -> text written without a newline yet


def _log_text(s):
    rec = _cur()
    key = rec if rec is not None else _NO_TASK
    buf = _partial.pop(key, "") + s
    if "\n" not in buf:
        if len(buf) > 64 * 1024:  # a line that never ends: cut it
            _emit(rec, "log", buf, _line())
        elif buf:
            _partial[key] = buf
        return
    lines = buf.split("\n")
    rest = lines.pop()
    if rest:
        _partial[key] = rest
    line = _line()
    for text in lines:
        _emit(rec, "log", text, line)


def _flush_partial(rec):
    key = rec if rec is not None else _NO_TASK
    buf = _partial.pop(key, None)
    if buf:
        _emit(rec, "log", buf)


class _Bytes(io.RawIOBase):
    """sys.stdout.buffer for the captured stdout."""

    def writable(self):
        return True

    def write(self, b):
        b = bytes(b)
        try:
            _log_text(b.decode("utf-8", "replace"))
        except Exception:
            _internal()
        return len(b)


class _Capture(io.TextIOBase):
    """The program's sys.stdout: each line becomes a log event on its lane."""

    encoding = "utf-8"
    errors = "strict"
    line_buffering = True

    def __init__(self):
        super().__init__()
        self._buffer = _Bytes()

    @property
    def buffer(self):
        return self._buffer

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        raise io.UnsupportedOperation("fileno")

    def reconfigure(self, *args, **kwargs):
        pass

    def flush(self):
        pass

    def close(self):
        pass

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        try:
            _log_text(s)
        except Exception:
            _internal()
        return len(s)


# ---------------------------------------------------------------- blocking regions


class _Region:
    """A blocking call in progress on a lane.

    A region that was not announced when it began (gather, wait, TaskGroup...)
    writes its `wait` the first time the task suspends inside it, so one that
    completes at once writes nothing. A primitive that knows it will block
    (a locked semaphore, an empty queue) announces itself at once."""

    __slots__ = ("label", "rec", "emitted", "own", "line", "closed", "queue")

    def __init__(self, label):
        self.label = label
        self.rec = None
        self.emitted = False  # a wait for this region (or an outer one) is written
        self.own = False      # ...and it was this region's own
        self.line = 0
        self.closed = False
        self.queue = None

    def __enter__(self):
        try:
            rec = _cur()
            self.rec = rec
            if rec is not None:
                rec.regions.append(self)
        except Exception:
            _internal()
        return self

    def __exit__(self, et, e, tb):
        _end_wait(self, et is None, True)
        return False


def _begin_wait(rec, label, kind="wait", dur=0.0):
    """Announces that rec's lane now blocks on label; returns its region."""
    r = _Region(label)
    try:
        r.rec = rec
        inherited = kind == "wait" and rec is not None and bool(rec.regions) and rec.regions[-1].emitted
        r.emitted = True
        if not inherited:
            r.own = True
            r.line = _line()
            _emit(rec, kind, "" if kind == "sleep" else label, r.line, dur=dur)
        if rec is not None:
            rec.regions.append(r)
    except Exception:
        _internal()
    return r


def _end_wait(r, ok, wake):
    """Ends a region: a wake if the call returned, a wake owed if it raised."""
    if r is None or r.closed:
        return
    r.closed = True
    try:
        rec = r.rec
        if rec is not None:
            regs = rec.regions
            for i in range(len(regs) - 1, -1, -1):
                if regs[i] is r:
                    del regs[i]
                    break
        if r.own and not (rec is not None and rec.ended):
            if ok:
                if wake:
                    _emit(rec, "wake", "", _line())
            elif rec is not None and rec.wake is None:
                rec.wake = (_now(), r.line)
    except Exception:
        _internal()


async def _region_await(label, aw):
    with _Region(label):
        return await aw


def _named_like(new, old):
    try:
        new.__name__ = old.__name__
        new.__qualname__ = old.__qualname__
    except Exception:
        pass
    return new


# Futures whose wait has a name: gather's outer future, executor futures.
_labels = weakref.WeakKeyDictionary()
_task_recs = weakref.WeakKeyDictionary()


def _label_future(fut, label):
    try:
        _labels[fut] = label
    except TypeError:
        pass


def _future_label(obj):
    try:
        lab = _labels.get(obj)
    except TypeError:
        lab = None
    if lab:
        return lab
    if isinstance(obj, _orig.Task):
        rec = _task_recs.get(obj)
        if rec is not None:
            with _lock:
                if _pending:
                    _flush_pending()
                if rec.lane is None:
                    _resolve(rec)
            return "task: " + rec.lane
        return "task"
    return None


# ---------------------------------------------------------------- task steps

_steps = {}  # thread id -> [step start (monotonic), sampled program line, schedstat at the start]


def _schedstat():
    """The calling thread's scheduler counters (Linux's schedstat: time on a
    CPU, time waiting for one, in ns), unparsed; None where there are none.
    Each thread keeps its own file open (in _tls, so a thread id the system
    hands out again does not find a dead thread's file)."""
    fd = getattr(_tls, "sched_fd", -1)
    if fd == -1:
        try:
            fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            fd = None
        _tls.sched_fd = fd
    if fd is None:
        return None
    try:
        return os.pread(fd, 64, 0)
    except OSError:
        return None


def _cpu_wait(before, after):
    """Seconds a thread waited for a CPU between two _schedstat readings:
    time it was ready to run while the machine ran other work."""
    try:
        return max(0, int(after.split()[1]) - int(before.split()[1])) / 1e9
    except (AttributeError, IndexError, ValueError):
        return 0.0
# Set when a step begins and the watcher may be asleep; the watcher clears
# it, and sleeps while no step runs rather than waking to find none.
_step_begun = threading.Event()


class _TracedCoro(collections.abc.Coroutine):
    """Stands in for a task's coroutine: each send/throw is one step."""

    __slots__ = ("_coro", "_rec")

    def __init__(self, coro, rec):
        self._coro = coro
        self._rec = rec

    def send(self, value):
        return _step(self, False, value)

    def throw(self, typ, val=None, tb=None):
        return _step(self, True, (typ, val, tb))

    def close(self):
        return self._coro.close()

    def __await__(self):
        return self._coro.__await__()

    def __getattr__(self, name):
        # __name__, __qualname__, cr_code, cr_frame, cr_running, cr_await...:
        # asyncio reads them for reprs and stacks, and so may the program.
        if name in ("_coro", "_rec"):
            raise AttributeError(name)
        return getattr(self._coro, name)

    def __repr__(self):
        return repr(self._coro)


def _step(w, is_throw, arg):
    rec = w._rec
    st = getattr(_tls, "stack", None)
    if st is None:
        st = _tls.stack = []
    st.append(rec)
    outer = getattr(_tls, "buf", None) is None
    if outer:
        with _lock:
            _tls.buf = _bufs[threading.get_ident()] = []
    try:
        ts, t0, slot = _enter_step(rec, is_throw)
        try:
            if is_throw:
                typ, val, tb = arg
                if val is None and tb is None:
                    res = w._coro.throw(typ)
                else:
                    res = w._coro.throw(typ, val, tb)
            else:
                res = w._coro.send(arg)
        except StopIteration as e:
            _leave_step(rec, ts, t0, slot, "done", e.value, None)
            raise
        except BaseException as e:
            _leave_step(rec, ts, t0, slot, "raise", None, e)
            raise
        _leave_step(rec, ts, t0, slot, "yield", res, None)
        return res
    finally:
        st.pop()
        if outer:
            with _lock:
                buf = _tls.buf
                _tls.buf = None
                _bufs.pop(threading.get_ident(), None)
                if buf:
                    _raw(buf)


_STEP_CODE = _step.__code__


def _enter_step(rec, is_throw):
    ts = _now()
    slot = None
    try:
        if rec.task is None:
            try:
                task = _orig.current_task()
            except RuntimeError:
                task = None
            if task is not None:
                rec.task = weakref.ref(task)
        if rec.lane is None or _pending:
            with _lock:
                _flush_pending()
                if rec.lane is None:
                    _resolve(rec)
        if rec.resume is not None:
            line = rec.resume
            rec.resume = None
            if is_throw:
                if rec.wake is None:
                    rec.wake = (ts, line)
            else:
                _emit(rec, "wake", "", line, t=ts)
        tid = threading.get_ident()
        slot = [_mono(), 0, _schedstat() if _BLOCKED > 0 else None]
        _steps[tid] = slot
        if not _step_begun.is_set():
            _step_begun.set()
    except Exception:
        _internal()
    return ts, _mono(), slot


def _leave_step(rec, ts, t0, slot, how, value, exc):
    try:
        dur = _mono() - t0
        busy = dur
        if slot is not None:
            tid = threading.get_ident()
            if _steps.get(tid) is slot:
                del _steps[tid]
            if dur > _BLOCKED and slot[2] is not None:
                # A busy machine may leave a step ready to run but without
                # a CPU: that time is not the program holding the loop.
                busy = dur - _cpu_wait(slot[2], _schedstat())
        if _BLOCKED > 0 and busy > _BLOCKED:
            line = slot[1] if slot is not None else 0
            with _lock:
                if _pending:
                    _flush_pending()
                if rec.lane is None:
                    _resolve(rec)
                _raw((_format_event(ts, rec.lane, "blocked", "", line, 0, busy),))
                held = getattr(_tls, "buf", None)
                if held:
                    _raw(held)
                    del held[:]
        if how == "yield":
            _suspend(rec, value)
        elif how == "done":
            task = rec.task() if rec.task is not None else None
            if task is not None and getattr(task, "_must_cancel", False):
                _end(rec, "cancelled", "", 0)
            else:
                _end(rec, "done", _short(value), 0)
        elif isinstance(exc, _orig.CancelledError):
            label = ""
            if exc.args and isinstance(exc.args[0], str):
                label = exc.args[0]
            _end(rec, "cancelled", label, _tb_line(exc.__traceback__))
        else:
            _end(rec, "error", _error_label(exc), _tb_line(exc.__traceback__))
    except Exception:
        _internal()


def _suspend(rec, yielded):
    """The task gave the loop back: say what it waits for, if not said yet."""
    regs = rec.regions
    top = regs[-1] if regs else None
    if top is None or not top.emitted:
        label = _future_label(yielded) if yielded is not None else None
        if label is not None:
            line = _await_line(rec.coro)
            _emit(rec, "wait", label, line)
            rec.resume = line
        elif top is not None:
            line = _await_line(rec.coro)
            top.emitted = top.own = True
            top.line = line
            _emit(rec, "wait", top.label, line)
        elif yielded is not None:
            line = _await_line(rec.coro)
            _emit(rec, "wait", "future", line)
            rec.resume = line
    _flush_wake(rec)


def _end(rec, kind, label, line):
    if rec.ended:
        return
    _flush_partial(rec)
    if kind != "done":
        rec.wake = None
    rec.regions.clear()
    rec.resume = None
    rec.ended = True
    _emit(rec, kind, label, line)


def _watch(interval):
    """Samples the line a long step is stuck on, for its blocked event."""
    frames = getattr(sys, "_current_frames", None)
    if frames is None:
        return
    while True:
        _step_begun.wait()
        _wall_sleep(interval)
        # Cleared before the look, so that a step beginning after it sets
        # the event again; one already going is in _steps.
        _step_begun.clear()
        try:
            if not _steps:
                continue
            now = _mono()
            for tid, slot in list(_steps.items()):
                if not slot[1] and now - slot[0] >= _BLOCKED:
                    f = frames().get(tid)
                    slot[1] = _frame_line(f)
        except Exception:
            pass
        _step_begun.set()  # a step is going: look again after the interval


# ---------------------------------------------------------------- the loop


def _traceable(coro):
    if isinstance(coro, _TracedCoro):
        return False
    if not (isinstance(coro, types.CoroutineType) or isinstance(coro, collections.abc.Coroutine)):
        return False
    # asyncio's own housekeeping tasks (shutdown_asyncgens...) get no lane.
    code = getattr(coro, "cr_code", None)
    if code is not None and code.co_filename.startswith(_ASYNCIO_DIR):
        try:
            f = sys._getframe(2)  # _traceable <- create_task <- its caller
        except ValueError:
            return True
        name = f.f_globals.get("__name__", "")
        if isinstance(name, str) and name.startswith("asyncio"):
            return False
    return True


def _func_name(f):
    for _ in range(8):
        if isinstance(f, functools.partial):
            inner = f.func
            if (getattr(inner, "__name__", None) == "run"
                    and isinstance(getattr(inner, "__self__", None), contextvars.Context)
                    and f.args):
                f = f.args[0]
            else:
                f = inner
            continue
        break
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    return name if isinstance(name, str) else type(f).__name__


def _thread_work(func, args, qualname, line):
    """Wraps executor work so that it gets a lane of its own."""

    def run():
        rec = _Rec("thread", qualname, line)
        prev = getattr(_tls, "thread", None)
        _tls.thread = rec
        try:
            try:
                with _lock:
                    rec.lane = _unique("thread: " + qualname)
                _emit(rec, "spawn", qualname, line)
            except Exception:
                _internal()
            try:
                result = func(*args)
            except BaseException as e:
                try:
                    _end(rec, "error", _error_label(e), _tb_line(e.__traceback__))
                except Exception:
                    _internal()
                raise
            try:
                _end(rec, "done", _short(result), 0)
            except Exception:
                _internal()
            return result
        finally:
            _tls.thread = prev

    return run


def _is_process_pool(executor):
    """Whether executor is a ProcessPoolExecutor (without importing it)."""
    mod = sys.modules.get("concurrent.futures.process")
    return mod is not None and isinstance(executor, mod.ProcessPoolExecutor)


def _process_done(rec, cfut):
    """Ends a process lane when its concurrent future completes (called in
    the pool's manager thread, or at once if it is already done)."""
    try:
        if cfut.cancelled():
            _end(rec, "cancelled", "", 0)
            return
        e = cfut.exception()
        if e is None:
            _end(rec, "done", _short(cfut.result()), 0)
        else:
            _end(rec, "error", _error_label(e), 0)
    except Exception:
        _internal()


def _after_fork_in_child():
    """A forked child (a process pool's worker, say) writes no events: its
    work is drawn from the parent's side. Its prints go where the parent's
    fd 1 goes (stderr), and the lock a parent thread may have held at the fork
    is replaced."""
    global _dead, _lock, _step_begun
    _dead = True
    _lock = threading.RLock()
    _step_begun = threading.Event()
    _tls.buf = None
    _tls.stack = []
    _tls.thread = None
    _steps.clear()
    fd = getattr(_tls, "sched_fd", -1)
    if fd not in (-1, None):  # the parent's thread's file: this thread is another
        try:
            os.close(fd)
        except OSError:
            pass
    _tls.sched_fd = -1
    _bufs.clear()
    if isinstance(sys.stdout, _Capture) and sys.__stdout__ is not None:
        sys.stdout = sys.__stdout__


# Executor pool workers are named like this; an idle one is no reason to wait,
# and one that works is counted by run_in_executor.
_POOL_THREAD = re.compile(r"(asyncio|ThreadPoolExecutor-\d+)_\d+\Z")
_watch_thread = None


def _threads_busy():
    """Whether some thread other than the main thread, the tracer's and
    executor pool workers is alive (say, one the program started, or
    asyncio's own thread joining the executor at shutdown)."""
    main = threading.main_thread()
    me = threading.current_thread()
    for t in threading.enumerate():
        if t is main or t is me or t is _watch_thread:
            continue
        if _POOL_THREAD.match(t.name):
            continue
        return True
    return False


_BaseLoop = asyncio.SelectorEventLoop

# A timer in asyncio wakes late on Linux, for two reasons. The selector
# rounds each wait up to a millisecond for epoll, and the interpreter rounds
# that again, which makes one wait in eight a millisecond longer still; and
# the kernel lets a wait run late by a share of its length, its "slack":
# 0.1%, or 0.5% in a process with a positive nice value, as the tracer's is.
# A sleep of 0.8 s wakes up to 6 ms late, and a chain of sleeps adds up the
# lateness of each, so the timeline drifts from the schedule the lesson's
# numbers describe.
#
# The loop's selector waits instead with select() on the epoll object's own
# descriptor, which is readable as soon as any descriptor registered with it
# is ready, and whose timeout is in microseconds; and it wakes a long wait
# early by more than its slack. The loop finds its timer not yet due and
# asks again, for a wait short enough that its slack is microseconds. What
# is ready is then collected without waiting.
_EARLY = 0.01        # of a wait longer than _EARLY_FROM
_EARLY_FROM = 0.002  # seconds
_select = select.select  # as imported: a program may replace select.select


class _PromptSelector(selectors.DefaultSelector):
    """The default selector, waking when a timer is due rather than up to a
    few milliseconds later."""

    def select(self, timeout=None):
        fileno = getattr(self, "fileno", None)
        if timeout is None or timeout <= 0 or fileno is None:
            return super().select(timeout)
        if timeout > _EARLY_FROM:
            timeout -= timeout * _EARLY
        try:
            _select([fileno()], [], [], timeout)
        except (OSError, ValueError):  # a descriptor select() cannot take
            return super().select(timeout)
        return super().select(0)


class _TracedLoop(_BaseLoop):
    """The selector event loop, with traced tasks, prompt timers and an
    optional virtual clock."""

    _ap_inflight = 0

    def __init__(self, selector=None):
        super().__init__(_PromptSelector() if selector is None else selector)

    def time(self):
        if _VIRTUAL:
            return _mono() - _T0 + _skipped
        return super().time()

    def _run_once(self):
        if _VIRTUAL:
            try:
                self._ap_skip()
            except Exception:
                _internal()
        return super()._run_once()

    def _ap_skip(self):
        """Jumps the clock to the next timer when nothing else can happen first."""
        global _skipped
        if self._ready or self._stopping or self._ap_inflight:
            return
        sched = self._scheduled
        if not sched:
            return
        own = None
        ssock = getattr(self, "_ssock", None)
        if ssock is not None:
            own = ssock.fileno()
        for key in self._selector.get_map().values():
            if key.fd != own:
                return  # sockets, pipes, subprocesses: real time
        if _threads_busy():
            return  # a thread may still call back into the loop: real time
        when = None
        for h in sched:
            if not h._cancelled and (when is None or h._when < when):
                when = h._when
        if when is None:
            return
        delta = when - self.time()
        if delta > 0:
            _skipped += delta

    def create_task(self, coro, *args, **kwargs):
        rec = None
        try:
            if _traceable(coro):
                qualname = getattr(coro, "__qualname__", None) or type(coro).__name__
                rec = _Rec("task", str(qualname), _line())
                rec.coro = coro
                wrapped = _TracedCoro(coro, rec)
        except Exception:
            _internal()
            rec = None
        if rec is None:
            return super().create_task(coro, *args, **kwargs)
        with _lock:
            _pending.append(rec)
        try:
            task = super().create_task(wrapped, *args, **kwargs)
        except BaseException:
            with _lock:
                if rec in _pending:
                    _pending.remove(rec)
            raise
        try:
            rec.task = weakref.ref(task)
            _task_recs[task] = rec
        except Exception:
            _internal()
        return task

    def run_in_executor(self, executor, func, *args):
        work = None
        proc = None
        label = "executor"
        try:
            if executor is None or isinstance(executor, concurrent.futures.ThreadPoolExecutor):
                label = "thread"
            name = sys._getframe(1).f_globals.get("__name__", "")
            internal = isinstance(name, str) and name.startswith("asyncio") and name != "asyncio.threads"
            if internal:
                label = None
            elif (label == "thread" and callable(func)
                    and not asyncio.iscoroutine(func)
                    and not inspect.iscoroutinefunction(func)):
                work = _thread_work(func, args, _func_name(func), _line())
            elif label == "executor" and _is_process_pool(executor) and callable(func):
                # The callable goes to the worker as it is: it must pickle.
                proc = _Rec("process", _func_name(func), _line())
        except Exception:
            _internal()
            work = None
            proc = None
        if proc is not None:
            fut = self._ap_run_in_process(executor, func, args, proc)
        elif work is not None:
            fut = super().run_in_executor(executor, work)
        else:
            fut = super().run_in_executor(executor, func, *args)
        try:
            self._ap_inflight += 1
            fut.add_done_callback(self._ap_work_done)
            if label:
                _label_future(fut, label)
        except Exception:
            _internal()
        return fut

    def _ap_work_done(self, fut):
        self._ap_inflight -= 1

    def _ap_run_in_process(self, executor, func, args, rec):
        """run_in_executor for a process pool, with a lane for the work as seen
        from this process: from the hand-over to the moment its result (or
        error) is back. Nothing runs traced in the worker itself."""
        self._check_closed()
        cfut = executor.submit(func, *args)
        try:
            with _lock:
                rec.lane = _unique("process: " + rec.qualname)
            _emit(rec, "spawn", rec.qualname, rec.line)
            # Added before wrap_future's own callback: the lane ends before
            # the loop hears of the result.
            cfut.add_done_callback(functools.partial(_process_done, rec))
        except Exception:
            _internal()
        return asyncio.wrap_future(cfut, loop=self)


_RUN_ONCE_CODE = _TracedLoop._run_once.__code__


def _make_policy():
    get = getattr(asyncio.events, "_get_event_loop_policy", None) or asyncio.events.get_event_loop_policy
    base = type(get())

    class _TracedPolicy(base):
        _loop_factory = _TracedLoop

    return _TracedPolicy()


def _install_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            policy = _make_policy()
            setter = getattr(asyncio.events, "_set_event_loop_policy", None) or asyncio.events.set_event_loop_policy
            setter(policy)
        except Exception:
            # No policies any more: make new_event_loop itself give our loop.
            def new_event_loop():
                return _TracedLoop()
            asyncio.events.new_event_loop = new_event_loop
            asyncio.new_event_loop = new_event_loop
    asyncio.SelectorEventLoop = _TracedLoop
    if hasattr(asyncio, "EventLoop"):
        asyncio.EventLoop = _TracedLoop


# ---------------------------------------------------------------- primitives


def _will_block(lock):
    if lock.locked():
        return True
    waiters = getattr(lock, "_waiters", None)
    try:
        return any(not w.cancelled() for w in (waiters or ()))
    except Exception:
        return False


class _AcquireMixin:
    """Reports acquire/release; the held count is the lane-visible one."""

    _ap_label = "semaphore"
    _ap_quiet = False
    _ap_held = 0

    async def acquire(self):
        if self._ap_quiet:
            return await super().acquire()
        rec = _cur()
        r = None
        try:
            if _will_block(self):
                r = _begin_wait(rec, self._ap_label)
        except Exception:
            _internal()
        try:
            ok = await super().acquire()
        except BaseException:
            _end_wait(r, False, False)
            raise
        _end_wait(r, True, False)
        try:
            self._ap_held += 1
            _emit(rec, "acquire", self._ap_label, _line(), self._ap_held)
        except Exception:
            _internal()
        return ok

    def release(self):
        super().release()
        if not self._ap_quiet:
            try:
                self._ap_held = max(0, self._ap_held - 1)
                _emit(_cur(), "release", self._ap_label, _line(), self._ap_held)
            except Exception:
                _internal()


class Semaphore(_AcquireMixin, _orig.Semaphore):
    def __init__(self, value=1):
        self._ap_quiet = _from_asyncio()
        super().__init__(value)


class BoundedSemaphore(Semaphore, _orig.BoundedSemaphore):
    pass


class Lock(_AcquireMixin, _orig.Lock):
    _ap_label = "lock"

    def __init__(self):
        self._ap_quiet = _from_asyncio()
        super().__init__()


class Event(_orig.Event):
    def __init__(self):
        self._ap_quiet = _from_asyncio()
        super().__init__()

    async def wait(self):
        if self._ap_quiet or self.is_set():
            return await super().wait()
        r = _begin_wait(_cur(), "event")
        try:
            res = await super().wait()
        except BaseException:
            _end_wait(r, False, True)
            raise
        _end_wait(r, True, True)
        return res

    def set(self):
        super().set()
        if not self._ap_quiet:
            try:
                _emit(_cur(), "set", "event", _line())
            except Exception:
                _internal()


class Condition(_orig.Condition):
    def __init__(self, lock=None):
        quiet = _from_asyncio()
        if lock is None and not quiet:
            lock = Lock()
            lock._ap_label = "condition"
        super().__init__(lock)
        self._ap_quiet = quiet

    async def wait(self):
        if self._ap_quiet:
            return await super().wait()
        with _Region("condition"):
            return await super().wait()


if _orig.Barrier is not None:
    class Barrier(_orig.Barrier):
        async def wait(self):
            with _Region("barrier"):
                return await super().wait()
else:
    Barrier = None


class Queue(_orig.Queue):
    def __init__(self, maxsize=0):
        self._ap_quiet = _from_asyncio()
        super().__init__(maxsize)

    def _ap_woke(self, rec, label):
        if rec is not None and rec.regions:
            top = rec.regions[-1]
            if top.label == label and top.queue is self:
                _end_wait(top, True, True)

    async def put(self, item):
        if self._ap_quiet:
            return await super().put(item)
        r = None
        try:
            if self.full():
                r = _begin_wait(_cur(), "queue.put")
                r.queue = self
        except Exception:
            _internal()
        try:
            res = await super().put(item)
        except BaseException:
            _end_wait(r, False, True)
            raise
        _end_wait(r, True, True)
        return res

    def put_nowait(self, item):
        super().put_nowait(item)
        if not self._ap_quiet:
            try:
                rec = _cur()
                self._ap_woke(rec, "queue.put")
                _emit(rec, "put", "queue", _line(), self.qsize())
            except Exception:
                _internal()

    async def get(self):
        if self._ap_quiet:
            return await super().get()
        r = None
        try:
            if self.empty():
                r = _begin_wait(_cur(), "queue.get")
                r.queue = self
        except Exception:
            _internal()
        try:
            item = await super().get()
        except BaseException:
            _end_wait(r, False, True)
            raise
        _end_wait(r, True, True)
        return item

    def get_nowait(self):
        item = super().get_nowait()
        if not self._ap_quiet:
            try:
                rec = _cur()
                self._ap_woke(rec, "queue.get")
                _emit(rec, "get", "queue", _line(), self.qsize())
            except Exception:
                _internal()
        return item

    async def join(self):
        if self._ap_quiet or not getattr(self, "_unfinished_tasks", 0):
            return await super().join()
        r = _begin_wait(_cur(), "queue.join")
        try:
            res = await super().join()
        except BaseException:
            _end_wait(r, False, True)
            raise
        _end_wait(r, True, True)
        return res


class PriorityQueue(Queue, _orig.PriorityQueue):
    pass


class LifoQueue(Queue, _orig.LifoQueue):
    pass


class TaskGroup(_orig.TaskGroup):
    async def __aexit__(self, et, exc, tb):
        with _Region("taskgroup"):
            return await super().__aexit__(et, exc, tb)


class _Timeout(_orig.Timeout):
    _ap_entering = False
    _ap_delay = None  # the delay asked for, reported as the first deadline

    async def __aenter__(self):
        self._ap_entering = True
        try:
            res = await super().__aenter__()
        finally:
            self._ap_entering = False
        self._ap_deadline()
        return res

    def reschedule(self, when):
        super().reschedule(when)
        if not self._ap_entering:
            self._ap_deadline()

    def _ap_deadline(self):
        try:
            when = self.when()
            if when is not None:
                delay = self._ap_delay
                self._ap_delay = None
                if delay is None:
                    delay = when - asyncio.get_running_loop().time()
                _emit(_cur(), "deadline", "", _line(), dur=max(0.0, delay))
        except Exception:
            _internal()

    async def __aexit__(self, et, exc, tb):
        try:
            return await super().__aexit__(et, exc, tb)
        except TimeoutError:
            try:
                if self.expired():
                    _emit(_cur(), "timeout", "", _line())
            except Exception:
                _internal()
            raise


def timeout(delay):
    if _from_asyncio():
        return asyncio.timeouts.timeout(delay)
    loop = asyncio.get_running_loop()
    t = _Timeout(loop.time() + delay if delay is not None else None)
    t._ap_delay = delay
    return t


def timeout_at(when):
    if _from_asyncio():
        return asyncio.timeouts.timeout_at(when)
    return _Timeout(when)


def sleep(delay, result=None):
    if _from_asyncio():
        return _orig.sleep(delay, result)
    try:
        positive = delay > 0
    except Exception:
        positive = False
    if not positive:
        return _orig.sleep(delay, result)
    return _sleep(delay, result)


async def _sleep(delay, result):
    r = _begin_wait(_cur(), "", kind="sleep", dur=delay)
    try:
        res = await _orig.sleep(delay, result)
    except BaseException:
        _end_wait(r, False, True)
        raise
    _end_wait(r, True, True)
    return res


_sleep.__name__ = _sleep.__qualname__ = "sleep"


def gather(*aws, **kwargs):
    fut = _orig.gather(*aws, **kwargs)
    if not _from_asyncio():
        _label_future(fut, "gather")
    return fut


def wait(*args, **kwargs):
    coro = _orig.wait(*args, **kwargs)
    if _from_asyncio():
        return coro
    return _named_like(_region_await("wait", coro), coro)


def wait_for(*args, **kwargs):
    coro = _orig.wait_for(*args, **kwargs)
    if _from_asyncio():
        return coro
    timeout = kwargs.get("timeout", args[1] if len(args) > 1 else None)
    return _named_like(_wait_for(coro, timeout), coro)


async def _wait_for(coro, timeout):
    rec = _cur()
    loop = asyncio.get_running_loop()
    start = loop.time()
    if timeout is not None:
        try:
            _emit(rec, "deadline", "", _line(), dur=max(0.0, float(timeout)))
        except Exception:
            _internal()
    with _Region("wait_for"):
        try:
            return await coro
        except TimeoutError:
            try:
                if timeout is not None and loop.time() >= start + float(timeout) - 0.001:
                    _emit(rec, "timeout", "", _line())
            except Exception:
                _internal()
            raise


class _AsCompleted:
    """as_completed's iterator, each next result awaited as a blocking call."""

    def __init__(self, it):
        self._it = it

    def __iter__(self):
        return self

    def __next__(self):
        aw = next(self._it)
        if asyncio.iscoroutine(aw):
            return _named_like(_region_await("as_completed", aw), aw)
        return _region_await("as_completed", aw)

    def __aiter__(self):
        if not hasattr(self._it, "__anext__"):
            raise TypeError(f"'async for' requires an object with __aiter__ method, got {type(self._it).__name__}")
        return self

    async def __anext__(self):
        with _Region("as_completed"):
            return await self._it.__anext__()


def as_completed(*args, **kwargs):
    it = _orig.as_completed(*args, **kwargs)
    if _from_asyncio():
        return it
    return _AsCompleted(it)


def _install_primitives():
    locks = asyncio.locks
    for name, obj in (("Semaphore", Semaphore), ("BoundedSemaphore", BoundedSemaphore),
                      ("Lock", Lock), ("Event", Event), ("Condition", Condition),
                      ("Barrier", Barrier)):
        if obj is None:
            continue
        orig = getattr(_orig, name)
        obj.__module__ = orig.__module__
        obj.__qualname__ = orig.__qualname__
        setattr(asyncio, name, obj)
        setattr(locks, name, obj)
    for name, obj in (("Queue", Queue), ("PriorityQueue", PriorityQueue), ("LifoQueue", LifoQueue)):
        orig = getattr(_orig, name)
        obj.__module__ = orig.__module__
        obj.__qualname__ = orig.__qualname__
        setattr(asyncio, name, obj)
        setattr(asyncio.queues, name, obj)
    TaskGroup.__module__ = _orig.TaskGroup.__module__
    asyncio.TaskGroup = TaskGroup
    asyncio.taskgroups.TaskGroup = TaskGroup
    _Timeout.__module__ = _orig.Timeout.__module__
    _Timeout.__qualname__ = _orig.Timeout.__qualname__
    for name, fn in (("sleep", sleep), ("gather", gather), ("wait", wait),
                     ("wait_for", wait_for), ("as_completed", as_completed)):
        fn.__module__ = "asyncio.tasks"
        setattr(asyncio, name, fn)
        setattr(asyncio.tasks, name, fn)
    timeout.__module__ = timeout_at.__module__ = "asyncio.timeouts"
    asyncio.timeout = timeout
    asyncio.timeout_at = timeout_at


# ---------------------------------------------------------------- running the program


def _fail(msg, code=2):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _parse_args(argv):
    opts = types.SimpleNamespace(virtual=False, blocked_ms=50.0, sets=[], name=None, program=None)
    i = 0
    usage = "usage: tracer [--virtual] [--blocked-ms N] [--set NAME=JSON ...] [--name FILENAME] PROGRAM|-"
    while i < len(argv):
        a = argv[i]
        if a == "--virtual":
            opts.virtual = True
        elif a in ("--blocked-ms", "--set", "--name"):
            if i + 1 >= len(argv):
                _fail(f"{a} needs a value\n{usage}")
            v = argv[i + 1]
            i += 1
            if a == "--blocked-ms":
                try:
                    opts.blocked_ms = float(v)
                except ValueError:
                    _fail(f"--blocked-ms {v!r}: not a number")
            elif a == "--name":
                opts.name = v
            else:
                name, eq, js = v.partition("=")
                if not eq or not name.isidentifier():
                    _fail(f"--set {v!r}: want NAME=JSON")
                try:
                    value = json.loads(js)
                except ValueError as e:
                    _fail(f"--set {name}: bad JSON value {js!r}: {e}")
                opts.sets.append((name, value))
        elif a == "--" and i + 1 < len(argv):
            opts.program = argv[i + 1]
            i += 1
        elif a.startswith("--"):
            _fail(f"unknown option {a}\n{usage}")
        elif opts.program is None:
            opts.program = a
        else:
            _fail(f"unexpected argument {a!r}\n{usage}")
        i += 1
    if opts.program is None:
        _fail(usage)
    return opts


def _value_node(value, at):
    """An expression node for a JSON value, placed where `at` was."""
    if isinstance(value, dict):
        node = ast.Dict(keys=[_value_node(k, at) for k in value],
                        values=[_value_node(v, at) for v in value.values()])
    elif isinstance(value, list):
        node = ast.List(elts=[_value_node(v, at) for v in value], ctx=ast.Load())
    else:
        node = ast.Constant(value=value)
    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        setattr(node, attr, getattr(at, attr, None) or (1 if attr == "lineno" else 0))
    return node


def _set_constant(tree, name, value):
    """Replaces the value of every top-level `name = ...`; returns how many."""
    n = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                stmt.value = _value_node(value, stmt.value)
                n += 1
        elif isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name) and stmt.target.id == name and stmt.value is not None:
                stmt.value = _value_node(value, stmt.value)
                n += 1
    return n


def _strip_tb(tb):
    """tb without the tracer's own frames."""
    frames = []
    while tb is not None:
        if tb.tb_frame.f_globals is not _G:
            frames.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
        tb = tb.tb_next
    new = None
    for frame, lasti, lineno in reversed(frames):
        new = types.TracebackType(new, frame, lasti, lineno)
    return new


def _strip_exc(e, seen):
    if e is None or id(e) in seen:
        return
    seen.add(id(e))
    try:
        e.__traceback__ = _strip_tb(e.__traceback__)
    except Exception:
        pass
    _strip_exc(e.__cause__, seen)
    _strip_exc(e.__context__, seen)
    if isinstance(e, BaseExceptionGroup):
        for sub in e.exceptions:
            _strip_exc(sub, seen)


def _finish():
    """Writes what is still buffered: spawns not yet out, unfinished lines."""
    try:
        with _lock:
            _flush_pending()
        for key in list(_partial):
            _flush_partial(None if key == _NO_TASK else key)
    except Exception:
        _internal()


# The line the init process writes last on stderr when the program died of
# a signal, which it cannot pass on by dying of it (see below); pyrun reads
# it back as the signal.
_SIGNAL_MARK = "asyncplay-init: the program was killed by signal "


def _stand_aside_as_init():
    """Runs the program in a child when this interpreter is process 1.

    pyrun starts the interpreter in a PID namespace of its own, where it is
    the namespace's init, so that whatever the program starts ends with it.
    But init is shielded from signals it has no handler for, sent from
    inside: os.kill(os.getpid(), SIGTERM) would do nothing. So init forks
    before anything runs; the child runs the program as any process would,
    and init only reaps (the child, and orphans the namespace hands it) and
    exits as the child did. A death by a signal becomes a line on stderr and
    the status 128 + the signal, as a shell reports it."""
    if os.getpid() != 1:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        return
    # Init takes no signal from inside but SIGKILL; Python's SIGINT handler
    # would let a program's os.killpg(0, SIGINT) end init, and with it the
    # program, mid-cleanup.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for fd in (0, 1):  # the source is read; the events are the child's
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            pid, status = os.wait()
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)
        if pid != child:
            continue
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                # What the program left running must not write after the
                # line: in a namespace kill(-1) ends all but init.
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.write(2, f"{_SIGNAL_MARK}{sig}\n".encode())
            except OSError:
                pass
            os._exit(128 + sig)
        os._exit(os.waitstatus_to_exitcode(status))


def _main(argv):
    global _out, _PROG, _VIRTUAL, _BLOCKED, _T0, _skipped, _watch_thread
    opts = _parse_args(argv)
    if opts.program == "-":
        data = sys.stdin.buffer.read()
        filename = opts.name or "<stdin>"
    else:
        try:
            with open(opts.program, "rb") as f:
                data = f.read()
        except OSError as e:
            _fail(f"can't open file {opts.program!r}: {e}")
        filename = opts.name or opts.program
    try:
        text = importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as e:
        _fail(f"{filename}: can't decode the program: {e}", 1)
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as e:
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        traceback.print_exception(type(e), e, None)
        raise SystemExit(1)
    for name, value in opts.sets:
        if _set_constant(tree, name, value) == 0:
            _fail(f"no top-level {name} = ... in {filename} to set")
    code = compile(tree, filename, "exec", dont_inherit=True)

    _PROG = filename
    _VIRTUAL = opts.virtual
    _BLOCKED = max(0.0, opts.blocked_ms) / 1000.0

    _stand_aside_as_init()

    # Events go to a private copy of stdout; fd 1 itself now leads to stderr,
    # so nothing else (a child process, os.write(1, ...)) can break the stream.
    _out = open(os.dup(1), "w", encoding="utf-8", errors="backslashreplace", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    if opts.program == "-":
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    sys.stdout = _Capture()

    _install_loop()
    _install_primitives()

    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    mod = types.ModuleType("__main__")
    mod.__file__ = filename
    mod.__builtins__ = builtins
    mod.__cached__ = None
    sys.modules["_asyncplay_tracer"] = sys.modules.get("__main__")
    sys.modules["__main__"] = mod
    sys.argv = [filename]
    if opts.program != "-":
        sys.path.insert(0, os.path.dirname(os.path.abspath(opts.program)))

    atexit.register(_finish)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    if _BLOCKED > 0:
        _watch_thread = threading.Thread(target=_watch, args=(max(0.005, min(0.02, _BLOCKED / 4)),),
                                         name="asyncplay-watch", daemon=True)
        _watch_thread.start()

    status = 0
    _T0 = _mono()
    _skipped = 0.0
    try:
        exec(code, mod.__dict__)
    except SystemExit as e:
        _finish()
        if _STRICT and _internal_errors and not e.code:
            raise SystemExit(70) from None
        raise SystemExit(e.code) from None
    except BaseException as e:
        _finish()
        _strip_exc(e, set())
        # The C excepthook of 3.11/3.12 reads source lines from disk, where a
        # program from stdin is not: use the traceback module, which reads
        # linecache, unless the program installed a hook of its own.
        try:
            if sys.excepthook is sys.__excepthook__:
                traceback.print_exception(type(e), e, e.__traceback__)
            else:
                sys.excepthook(type(e), e, e.__traceback__)
        except Exception:
            traceback.print_exception(type(e), e, e.__traceback__)
        status = 1
    _finish()
    if status == 0 and _STRICT and _internal_errors:
        status = 70
    raise SystemExit(status)


if __name__ == "__main__":
    _main(sys.argv[1:])
