"""Streamlit sessions without a browser: start a server, drive sessions over its websocket.

A session does what the browser's first visit does on the wire (Streamlit 1.67, Starlette
server, ``streamlit/web/server/starlette/starlette_websocket.py``): open
``ws://HOST:PORT/_stcore/stream`` with the subprotocol ``streamlit`` (the second and third
entries of ``Sec-WebSocket-Protocol`` would carry an XSRF token and a session id to resume;
a first visit has neither) and a same-origin ``Origin``; send one binary ``BackMsg`` whose
``rerun_script`` ``ClientState`` holds the query string and the page's URL path
(``page_name``, matched against ``st.Page(url_path=...)``; "" is the default page); then read
binary ``ForwardMsg`` frames until ``script_finished``. ``FINISHED_SUCCESSFULLY`` ends the
visit; ``FINISHED_EARLY_FOR_RERUN`` means another run follows (``st.switch_page``, a widget
callback) and reading goes on; ``FINISHED_WITH_COMPILE_ERROR``, ``page_not_found``, an
``exception`` element (not a warning) or an ``st.error`` alert make the visit a failure.

Servers bind to 127.0.0.1 only, run in their own process group and are killed on exit
(``stop``, and ``atexit`` for anything left).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Imported here, not in the sessions, so no import is timed as part of a visit.
import websockets
from _common import ROOT
from google.protobuf.message import DecodeError
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import WebSocketException

HOST = "127.0.0.1"

_LIVE: list[Server] = []


class Server:
    """A Streamlit server for ``script`` on 127.0.0.1:``port`` (``python script`` when the
    script starts its own server, as ``dashboard.py`` does; ``streamlit run`` otherwise)."""

    def __init__(self, script: Path, port: int, env: dict[str, str] | None = None,
                 self_starting: bool = False, log: Path | None = None,
                 cwd: Path | None = None):
        self.script, self.port = Path(script), port
        #: Working directory: Streamlit reads ``.streamlit/config.toml`` from it (the app's
        #: settings from the repository root, the default; Streamlit's defaults from a folder
        #: without one).
        self.cwd = cwd or ROOT
        self.env = {**os.environ, **(env or {})}
        self.self_starting = self_starting
        self.log = log
        self.proc: subprocess.Popen | None = None
        self._log_file = None

    def start(self, timeout: float = 60.0) -> Server:
        if _port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        flags = ["--server.port", str(self.port), "--server.address", HOST,
                 "--server.headless", "true", "--browser.gatherUsageStats", "false",
                 "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        cmd = ([sys.executable, str(self.script), *flags] if self.self_starting else
               [sys.executable, "-m", "streamlit", "run", str(self.script), *flags])
        if self.log:
            self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env,
                                     stdout=self._log_file or subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _LIVE.append(self)
        deadline = time.monotonic() + timeout
        url = f"http://{HOST}:{self.port}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server for {self.script.name} exited with "
                                   f"{self.proc.returncode} (log: {self.log})")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"server for {self.script.name} not healthy in {timeout} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if self in _LIVE:
            _LIVE.remove(self)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)  # its own group: the server and its children only
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def memory_mib(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak RSS) of the server process, summed with its children's."""
        total = {"VmRSS": 0.0, "VmHWM": 0.0}
        for pid in _tree(self.proc.pid):
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                key, _, value = line.partition(":")
                if key in total:
                    total[key] += int(value.split()[0]) / 1024
        return total

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return found


def _port_open(port: int) -> bool:
    import socket
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


@atexit.register
def _stop_all() -> None:
    while _LIVE:
        _LIVE[-1].stop()  # stop() removes it


@dataclass
class Visit:
    """One session's first visit: seconds from connecting to ``script_finished``."""
    label: str
    seconds: float = float("nan")
    ok: bool = False
    errors: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    headings: list[str] = field(default_factory=list)


def _back_msg(query_string: str, page_name: str) -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query_string
    state.page_script_hash = ""
    state.page_name = page_name
    state.context_info.timezone = "Europe/London"
    state.context_info.timezone_offset = 0
    state.context_info.locale = "en-GB"
    state.context_info.url = (f"http://{HOST}/{page_name}"
                              + (f"?{query_string}" if query_string else ""))
    return msg.SerializeToString()


def _check(fmsg, visit: Visit) -> str | None:
    """'done', 'rerun' or None (keep reading); errors go to ``visit.errors``."""
    kind = fmsg.WhichOneof("type")
    if kind == "delta" and fmsg.delta.WhichOneof("type") == "new_element":
        el = fmsg.delta.new_element
        what = el.WhichOneof("type")
        if what == "exception" and not el.exception.is_warning:
            visit.errors.append(f"exception {el.exception.type}: {el.exception.message}")
        elif what == "heading":
            visit.headings.append(el.heading.body)
        elif what == "alert" and el.alert.format == Alert.ERROR:
            visit.errors.append(f"st.error: {el.alert.body[:200]}")
    elif kind == "page_not_found":
        visit.errors.append(f"page not found: {fmsg.page_not_found.page_name!r}")
    elif kind == "script_finished":
        status = fmsg.script_finished
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return "rerun"
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            visit.errors.append("script finished with a compile error")
        return "done"
    return None


async def visit(port: int, label: str, page_name: str = "", query_string: str = "",
                timeout: float = 300.0, hold: asyncio.Event | None = None,
                finished: asyncio.Queue | None = None) -> Visit:
    """One first visit. With ``hold``, the websocket stays open (the session alive) after the
    script finished until ``hold`` is set; ``finished`` gets the Visit as soon as it ends."""
    result = Visit(label)
    start = time.perf_counter()
    done = False
    try:
        async with asyncio.timeout(timeout) as deadline:
            async with websockets.connect(
                    f"ws://{HOST}:{port}/_stcore/stream", subprotocols=["streamlit"],
                    origin=f"http://{HOST}:{port}", max_size=None, compression=None,
                    open_timeout=timeout, ping_interval=None) as ws:
                await ws.send(_back_msg(query_string, page_name))
                while True:
                    frame = await ws.recv()
                    result.messages += 1
                    result.bytes += len(frame)
                    fmsg = ForwardMsg()
                    fmsg.ParseFromString(frame)
                    if _check(fmsg, result) == "done":
                        break
                result.seconds = time.perf_counter() - start
                result.ok = not result.errors
                done = True
                if finished is not None:
                    finished.put_nowait(result)
                if hold is not None:
                    deadline.reschedule(None)  # waiting for the others is not this visit's time
                    await hold.wait()
    except TimeoutError:
        result.errors.append(f"timed out after {timeout:.0f} s")
    except (OSError, WebSocketException, DecodeError) as exc:  # refused, dropped, garbled
        if not done:
            result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if not done:
            result.ok = False
            result.seconds = time.perf_counter() - start
            if finished is not None:
                finished.put_nowait(result)
    return result


async def _concurrent(port: int, specs: list[tuple[str, str, str]], timeout: float,
                      on_all_finished) -> tuple[float, list[Visit], object]:
    hold, finished = asyncio.Event(), asyncio.Queue()
    start = time.perf_counter()
    tasks = [asyncio.create_task(visit(port, label, page, qs, timeout, hold, finished))
             for label, page, qs in specs]
    for _ in specs:
        await finished.get()
    wall = time.perf_counter() - start
    extra = on_all_finished() if on_all_finished else None  # while every session is alive
    hold.set()
    visits = await asyncio.gather(*tasks)
    return wall, list(visits), extra


def concurrent_visits(port: int, specs: list[tuple[str, str, str]], timeout: float = 300.0,
                      on_all_finished=None) -> tuple[float, list[Visit], object]:
    """Open every ``(label, page_name, query_string)`` session at once; return the wall time
    until the last one finished, the visits, and what ``on_all_finished()`` returned (called
    after the last script finished, while all the sessions are still connected)."""
    return asyncio.run(_concurrent(port, specs, timeout, on_all_finished))
