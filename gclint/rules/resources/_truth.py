"""How the examples of the resources rules are run to prove them (truth probes)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from gclint.registry import Truth

if TYPE_CHECKING:
    pass


# Every GCL1xx truth probe: record ResourceWarnings (and exceptions raised in __del__), run the
# example, collect garbage, and report. A trigger may also set `observed_leak` itself when it
# sees the leak another way (a connection still usable, a lock still held, UnboundLocalError).
LEAK_SETUP = """
import gc as _gclint_gc
import sys as _gclint_sys
import warnings as _gclint_warnings

_gclint_leaks = []


def _gclint_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, ResourceWarning):
        _gclint_leaks.append(str(message))


def _gclint_unraisable(unraisable):
    _gclint_leaks.append(repr(unraisable.exc_value))


_gclint_warnings.simplefilter("always", ResourceWarning)
_gclint_warnings.showwarning = _gclint_warning
_gclint_sys.unraisablehook = _gclint_unraisable
observed_leak = False
"""


LEAK_PROBE = """
_gclint_gc.collect()
misbehaved = bool(_gclint_leaks) or bool(observed_leak)
"""


LEAK_DESCRIBE = (
    "a ResourceWarning is emitted (or the leak is observed directly: a connection still open, "
    "a lock still held, an UnboundLocalError)"
)


def leak_truth(setup: str = "") -> Truth:
    return Truth(probe=LEAK_PROBE, describe=LEAK_DESCRIBE, setup=LEAK_SETUP + setup)


# A TCP peer on 127.0.0.1 for socket examples: sends `reply` to the one client it accepts.
ECHO_SERVER = """
import socket as _socket
import threading as _threading


def serve_once(reply):
    server = _socket.create_server(("127.0.0.1", 0))

    def answer():
        conn, _addr = server.accept()
        with conn:
            conn.settimeout(5)
            conn.sendall(reply)
            try:
                conn.recv(1024)
            except OSError:
                pass
        server.close()

    _threading.Thread(target=answer, daemon=True).start()
    return server.getsockname()[1]
"""


# Keeps a reference to every real sqlite3 connection the example opens, so the probe can ask
# each one, after the example ran, whether it is still open.
SQLITE_RECORDER = """
import sqlite3 as _gclint_sqlite3

_gclint_connections = []
_gclint_connect = _gclint_sqlite3.connect


def _gclint_recording_connect(*args, **kwargs):
    conn = _gclint_connect(*args, **kwargs)
    _gclint_connections.append(conn)
    return conn


_gclint_sqlite3.connect = _gclint_recording_connect
"""


SQLITE_PROBE = """
for _conn in _gclint_connections:
    try:
        _conn.execute("select 1")
        observed_leak = True
    except _gclint_sqlite3.ProgrammingError:
        pass
    _conn.close()
"""


def with_server(trigger: str) -> str:
    """A trigger that first defines `serve_once(reply)`: a one-shot TCP peer on 127.0.0.1."""
    return ECHO_SERVER + "\n" + textwrap.dedent(trigger)
