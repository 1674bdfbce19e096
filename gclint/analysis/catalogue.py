"""The resource catalogue, as data: which calls return a resource, and what releases it.

A *resource* holds something the garbage collector does not manage well: a file descriptor, a
socket, a database connection, a process, a pool of workers, a temporary file or directory. Each
entry maps the qualified name of a factory (``builtins.open``, ``sqlite3.connect``) to a
`ResourceType` that says what it is called in messages and which methods release it.

The list is at least the union of what pylint's R1732 (consider-using-with) and ruff's SIM115
know, plus sockets, selectors, processes, pools, network clients and databases.
"""

from __future__ import annotations

from typing import NamedTuple


class ResourceType(NamedTuple):
    """What kind of resource a factory returns."""

    kind: str  # "file", "socket", "process", "pool", "connection", "client", "tempdir", ...
    noun: str  # used in messages: "file", "socket", "database connection", ...
    release: frozenset[str]  # methods that release it: {"close"}, {"wait", "communicate"}
    context_manager_closes: bool = True  # False for connections whose __exit__ only commits
    awaited: bool = False  # the factory is a coroutine (``await asyncpg.connect()``)
    fd: bool = False  # a raw descriptor (int), released by ``os.close(fd)``
    wraps_file_objects: bool = False  # also accepts an open file object, which it does not own
    closes_when_exhausted: bool = False  # iterating it to the end closes it (fileinput)
    var: str = "f"  # the name advice (and a fix) binds it to where the code names it nowhere
    # How a block releases it: its own context manager ("with", or "async with" when it has only
    # ``__aenter__``), contextlib's wrapper for an object without one ("closing", "aclosing"),
    # or else the statement that releases it in a ``finally:`` block ("os.close({name})").
    manager: str = "with"

    def advice(self, label: str, name: str) -> str:
        """What a message tells the user to write: ``use 'with open(...) as f:'``."""
        call = f"{label}(...)"
        if self.manager in ("with", "async with"):
            return f"use '{self.manager} {call} as {name}:'"
        if self.manager in ("closing", "aclosing"):
            keyword = "async with" if self.manager == "aclosing" else "with"
            return f"use '{keyword} contextlib.{self.manager}({call}) as {name}:'"
        return f"call '{self.manager.format(name=name)}' in a 'finally:' block"


CLOSE = frozenset({"close"})
_FILE = ResourceType("file", "file", CLOSE)
_ARCHIVE = ResourceType("file", "archive", CLOSE, wraps_file_objects=True, var="archive")
_FILE_OR_WRAPPER = ResourceType("file", "file", CLOSE, wraps_file_objects=True)
_FILEINPUT = ResourceType("file", "file input", CLOSE, closes_when_exhausted=True)
_TEMPFILE = ResourceType("file", "temporary file", CLOSE)
_TEMPDIR = ResourceType("tempdir", "temporary directory", frozenset({"cleanup"}), var="tmpdir")
_SHELF = ResourceType("file", "database file", CLOSE, var="shelf")
_DB = ResourceType("file", "database file", CLOSE, var="db")
_MMAP = ResourceType("file", "memory map", CLOSE, var="mapped")
_SCANDIR = ResourceType("file", "directory iterator", CLOSE, var="entries")
_SOCKET = ResourceType("socket", "socket", CLOSE, var="sock")
_SELECTOR = ResourceType("socket", "selector", CLOSE, var="selector")
_FD = ResourceType(
    "fd", "file descriptor", frozenset(), fd=True, var="fd", manager="os.close({name})"
)
_PROCESS = ResourceType(
    "process", "process", frozenset({"wait", "communicate", "poll"}), var="proc"
)
_POOL = ResourceType("pool", "process pool", frozenset({"close", "terminate", "join"}), var="pool")
_THREAD_POOL = _POOL._replace(noun="thread pool")
_EXECUTOR = ResourceType("pool", "executor", frozenset({"shutdown"}), var="executor")
_MANAGER = ResourceType("pool", "manager process", frozenset({"shutdown"}), var="manager")
_HTTP = ResourceType("client", "HTTP response", CLOSE, var="response")
# http.client's connections and poplib's clients have no context manager of their own
_CONNECTION = ResourceType("client", "network connection", CLOSE, var="conn", manager="closing")
_TELNET = _CONNECTION._replace(manager="with")
_MAIL = ResourceType("client", "network connection", frozenset({"close", "quit"}), var="conn")
_POP = _MAIL._replace(manager="closing")
_IMAP = ResourceType(
    "client", "network connection", frozenset({"close", "logout", "shutdown"}), var="conn"
)
_SESSION = ResourceType("client", "HTTP session", CLOSE, var="session")
_ASYNC_SESSION = _SESSION._replace(manager="async with")
_HTTP_CLIENT = ResourceType("client", "HTTP client", CLOSE, var="client")
_ASYNC_HTTP_CLIENT = _HTTP_CLIENT._replace(release=frozenset({"aclose"}), manager="async with")
_POOL_MANAGER = ResourceType("client", "connection pool", frozenset({"clear", "close"}), var="pool")
# sqlite3's and psycopg2's ``with`` only ends the transaction
_SQLITE = ResourceType(
    "connection",
    "database connection",
    CLOSE,
    context_manager_closes=False,
    var="conn",
    manager="closing",
)
_PSYCOPG2 = _SQLITE
_DBAPI = ResourceType("connection", "database connection", CLOSE, var="conn")
# asyncpg's connection has no ``async with`` (its pools do); aiosqlite's has
_ASYNCPG = _DBAPI._replace(awaited=True, manager="await {name}.close()")
_AIOSQLITE = _DBAPI._replace(awaited=True, manager="async with")

FACTORIES: dict[str, ResourceType] = {
    # files and file-like objects
    "builtins.open": _FILE,
    "io.open": _FILE,
    "io.open_code": _FILE,
    "io.FileIO": _FILE,
    "_io.open": _FILE,
    "codecs.open": _FILE,
    "os.fdopen": _FILE,
    "gzip.open": _FILE_OR_WRAPPER,
    "gzip.GzipFile": _FILE_OR_WRAPPER,
    "bz2.open": _FILE_OR_WRAPPER,
    "bz2.BZ2File": _FILE_OR_WRAPPER,
    "lzma.open": _FILE_OR_WRAPPER,
    "lzma.LZMAFile": _FILE_OR_WRAPPER,
    "tokenize.open": _FILE,
    "wave.open": _FILE_OR_WRAPPER,
    "aifc.open": _FILE_OR_WRAPPER,
    "sunau.open": _FILE_OR_WRAPPER,
    "fileinput.input": _FILEINPUT,
    "fileinput.FileInput": _FILEINPUT,
    "tarfile.open": _ARCHIVE,
    "tarfile.TarFile": _ARCHIVE,
    "tarfile.TarFile.open": _ARCHIVE,
    "tarfile.TarFile.taropen": _ARCHIVE,
    "tarfile.TarFile.gzopen": _ARCHIVE,
    "tarfile.TarFile.bz2open": _ARCHIVE,
    "tarfile.TarFile.xzopen": _ARCHIVE,
    "zipfile.ZipFile": _ARCHIVE,
    "zipfile.PyZipFile": _ARCHIVE,
    "shelve.open": _SHELF,
    "shelve.DbfilenameShelf": _SHELF,
    "dbm.open": _DB,
    "dbm.dumb.open": _DB,
    "dbm.gnu.open": _DB,
    "dbm.ndbm.open": _DB,
    "dbm.sqlite3.open": _DB,
    "tempfile.TemporaryFile": _TEMPFILE,
    "tempfile.NamedTemporaryFile": _TEMPFILE,
    "tempfile.SpooledTemporaryFile": _TEMPFILE,
    "tempfile.TemporaryDirectory": _TEMPDIR,
    "mmap.mmap": _MMAP,
    "os.scandir": _SCANDIR,
    # raw descriptors
    "os.open": _FD,
    "os.dup": _FD,
    "os.openpty": _FD,
    "os.pipe": _FD,
    "socket.socket": _SOCKET,
    "socket.create_connection": _SOCKET,
    "socket.create_server": _SOCKET,
    "socket.socketpair": _SOCKET,
    "socket.fromfd": _SOCKET,
    "select.epoll": _SELECTOR,
    "select.kqueue": _SELECTOR,
    "select.devpoll": _SELECTOR,
    "selectors.DefaultSelector": _SELECTOR,
    "selectors.EpollSelector": _SELECTOR,
    "selectors.KqueueSelector": _SELECTOR,
    "selectors.DevpollSelector": _SELECTOR,
    # processes and workers
    "subprocess.Popen": _PROCESS,
    "multiprocessing.Pool": _POOL,
    "multiprocessing.pool.Pool": _POOL,
    "multiprocessing.pool.ThreadPool": _THREAD_POOL,
    "multiprocessing.dummy.Pool": _THREAD_POOL,
    "multiprocessing.Manager": _MANAGER,
    "multiprocessing.managers.SyncManager": _MANAGER,
    "concurrent.futures.ThreadPoolExecutor": _EXECUTOR,
    "concurrent.futures.ProcessPoolExecutor": _EXECUTOR,
    "concurrent.futures.thread.ThreadPoolExecutor": _EXECUTOR,
    "concurrent.futures.process.ProcessPoolExecutor": _EXECUTOR,
    # network clients
    "urllib.request.urlopen": _HTTP,
    "urllib.request.OpenerDirector.open": _HTTP,
    "http.client.HTTPConnection": _CONNECTION,
    "http.client.HTTPSConnection": _CONNECTION,
    "ftplib.FTP": _MAIL,
    "ftplib.FTP_TLS": _MAIL,
    "smtplib.SMTP": _MAIL,
    "smtplib.SMTP_SSL": _MAIL,
    "smtplib.LMTP": _MAIL,
    "poplib.POP3": _POP,
    "poplib.POP3_SSL": _POP,
    "imaplib.IMAP4": _IMAP,
    "imaplib.IMAP4_SSL": _IMAP,
    "telnetlib.Telnet": _TELNET,
    "requests.Session": _SESSION,
    "requests.session": _SESSION,
    "requests.sessions.Session": _SESSION,
    "httpx.Client": _HTTP_CLIENT,
    "httpx.AsyncClient": _ASYNC_HTTP_CLIENT,
    "aiohttp.ClientSession": _ASYNC_SESSION,
    "urllib3.PoolManager": _POOL_MANAGER,
    "urllib3.HTTPConnectionPool": _POOL_MANAGER,
    "urllib3.HTTPSConnectionPool": _POOL_MANAGER,
    # databases
    "sqlite3.connect": _SQLITE,
    "sqlite3.dbapi2.connect": _SQLITE,
    "psycopg2.connect": _PSYCOPG2,
    "psycopg.connect": _DBAPI,
    "psycopg.Connection.connect": _DBAPI,
    "pymysql.connect": _DBAPI,
    "pymysql.connections.Connection": _DBAPI,
    "MySQLdb.connect": _DBAPI,
    "mysql.connector.connect": _DBAPI,
    "cx_Oracle.connect": _DBAPI,
    "oracledb.connect": _DBAPI,
    "pyodbc.connect": _DBAPI,
    "asyncpg.connect": _ASYNCPG,
    "aiosqlite.connect": _AIOSQLITE,
}

# Functions that wait for a process given its pid (``os.waitpid(proc.pid, 0)``): a wait.
PID_WAITS: frozenset[str] = frozenset({"os.waitpid", "os.wait4"})

# Methods of a resource that return another resource of the given type.
RESOURCE_METHODS: dict[tuple[str, str], ResourceType] = {
    ("archive", "open"): _FILE,  # ZipFile.open, TarFile.extractfile-like
    ("archive", "extractfile"): _FILE,
    ("socket", "makefile"): _FILE,
    ("socket", "dup"): _SOCKET,
}

# Calls that take ownership of a resource passed to them: the resource is then closed by them
# (wrappers that close what they wrap) or by whoever manages them (exit stacks, finalizers).
OWNERSHIP_TAKERS: frozenset[str] = frozenset(
    {
        "contextlib.closing",
        "contextlib.aclosing",
        "contextlib.nullcontext",
        "contextlib.ExitStack.enter_context",
        "contextlib.AsyncExitStack.enter_async_context",
        "contextlib.AsyncExitStack.enter_context",
        "io.TextIOWrapper",
        "io.BufferedReader",
        "io.BufferedWriter",
        "io.BufferedRandom",
        "io.BufferedRWPair",
        "codecs.StreamReaderWriter",
        "codecs.StreamRecoder",
        "weakref.finalize",
        "atexit.register",
    }
)
# Method names that take ownership, whatever their receiver (exit stacks passed as parameters,
# unittest's cleanups, pytest's finalizers).
OWNERSHIP_METHODS: frozenset[str] = frozenset(
    {
        "enter_context",
        "enter_async_context",
        "enterContext",
        "enterAsyncContext",
        "addCleanup",
        "addAsyncCleanup",
        "addfinalizer",
        "callback",
        "push",
        "push_async_callback",
        "push_async_exit",
    }
)
# Calls that only borrow a resource passed to them: they use it, do not keep or close it. A
# resource passed to one is still owned here (GCL101/GCL103), and one created inside such a
# call is leaked (GCL102).
BORROWERS: frozenset[str] = frozenset(
    {
        "builtins.all",
        "builtins.any",
        "builtins.bool",
        "builtins.enumerate",
        "builtins.filter",
        "builtins.getattr",
        "builtins.hasattr",
        "builtins.hash",
        "builtins.id",
        "builtins.isinstance",
        "builtins.iter",
        "builtins.len",
        "builtins.list",
        "builtins.map",
        "builtins.max",
        "builtins.min",
        "builtins.next",
        "builtins.print",
        "builtins.repr",
        "builtins.set",
        "builtins.sorted",
        "builtins.str",
        "builtins.sum",
        "builtins.tuple",
        "builtins.type",
        "builtins.zip",
        "csv.DictReader",
        "csv.DictWriter",
        "csv.reader",
        "csv.writer",
        "email.message_from_binary_file",
        "email.message_from_file",
        "fcntl.fcntl",
        "fcntl.flock",
        "fcntl.ioctl",
        "fcntl.lockf",
        "hashlib.file_digest",
        "json.dump",
        "json.load",
        "marshal.dump",
        "marshal.load",
        "os.fstat",
        "os.fsync",
        "os.ftruncate",
        "os.lseek",
        "os.read",
        "os.set_blocking",
        "os.set_inheritable",
        "os.write",
        "pickle.dump",
        "pickle.load",
        "plistlib.dump",
        "plistlib.load",
        "select.select",
        "shutil.copyfileobj",
        "toml.load",
        "tomli.load",
        "tomllib.load",
        "xml.dom.minidom.parse",
        "xml.etree.ElementTree.parse",
        "yaml.full_load",
        "yaml.load",
        "yaml.safe_load",
    }
)


# Methods and functions that release a resource when a finalizer (``__del__``) calls them.
RELEASE_CALLS = frozenset(
    {"close", "release", "shutdown", "terminate", "kill", "cleanup", "disconnect", "unlink"}
)
RELEASE_FUNCTIONS = frozenset({"os.close", "os.remove", "os.unlink", "shutil.rmtree"})


# Calls that cannot fail with no or constant arguments: building empty containers, counters
# and synchronisation primitives.
SAFE_CALLS = frozenset(
    {
        "dict",
        "list",
        "set",
        "tuple",
        "frozenset",
        "object",
        "bytearray",
        "count",
        "deque",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "Lock",
        "RLock",
        "Event",
        "Condition",
        "Semaphore",
        "WeakSet",
        "WeakValueDictionary",
        "WeakKeyDictionary",
        "get_ident",
        "monotonic",
        "time",
        "perf_counter",
    }
)


# Calls that make a lock, whose ``acquire()`` must be paired with ``release()`` (GCL106).
LOCK_FACTORIES = frozenset(
    {
        "threading.Lock",
        "threading.RLock",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Condition",
        "_thread.allocate_lock",
        "_thread.RLock",
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Semaphore",
        "multiprocessing.BoundedSemaphore",
        "multiprocessing.Condition",
        "asyncio.Lock",
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "asyncio.Condition",
    }
)


# Methods that clean up a resource in a ``finally:``/``except`` block (GCL104).
CLEANUP_METHODS = frozenset(
    {
        "close",
        "aclose",
        "release",
        "shutdown",
        "terminate",
        "kill",
        "wait",
        "quit",
        "logout",
        "cleanup",
        "disconnect",
        "rollback",
    }
)


# Path objects, whose ``open()`` returns a file; the classes astroid may name as openers.
PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
INFERRED_OPENERS = frozenset({*PATH_TYPES, "zipfile.ZipFile", "zipfile.Path", "tarfile.TarFile"})


# What a path's methods, attributes and class methods return is a path again.
PATH_METHODS = frozenset(
    {"joinpath", "with_name", "with_suffix", "with_stem", "resolve", "absolute", "expanduser"}
)
PATH_ATTRS = frozenset({"parent"})
PATH_CLASSMETHODS = frozenset({"cwd", "home"})


# Method names that release an object of the user's own resource classes.
USER_RELEASE_CALLS = frozenset(
    {"close", "shutdown", "terminate", "kill", "release", "cleanup", "disconnect", "aclose"}
)


# Calls that in practice do not raise, so they do not make a path "exceptional".
QUIET_CALLS = frozenset(
    {
        "print",
        "isinstance",
        "issubclass",
        "hasattr",
        "getattr",
        "id",
        "type",
        "callable",
        "len",
        "repr",
        "range",
        "enumerate",
        "zip",
        "iter",
        "bool",
        "list",
        "dict",
        "set",
        "tuple",
        "frozenset",
        "object",
        "super",
        "locals",
        "globals",
        "vars",
        "bytes",
        "bytearray",
        "memoryview",
    }
)


QUIET_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "add",
        "extend",
        "update",
        "setdefault",
        "get",
        "items",
        "keys",
        "values",
        "copy",
        "clear",
        "discard",
        "fileno",
        "settimeout",
        "setblocking",
        "setsockopt",
        "getsockname",
        "gettimeout",
        "startswith",
        "endswith",
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "join",
        "replace",
        "format",
        "time",
        "monotonic",
        "perf_counter",
        "is_set",
        "locked",
        "qsize",
        "empty",
        "done",
        "cancelled",
        # cleanup of other objects: a failing cleanup is not the path a resource leaks on
        "close",
        "release",
        "cleanup",
    }
)


# Streams whose writes are taken not to raise; names of logging methods (they do not raise).
QUIET_STREAMS = frozenset({"sys.stderr", "sys.stdout"})


# Methods that establish what a resource is for (a failure there leaks what was acquired).
ESTABLISHING = frozenset({"connect", "open", "login", "start", "starttls", "bind", "listen"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})


# Methods that return the resource itself or a view sharing its descriptor.
ALIASING_METHODS = frozenset({"__enter__", "detach", "cursor", "makefile"})


# Popen keywords that detach the child process (GCL108's allow-detached-processes).
DETACH_KEYWORDS = ("start_new_session", "process_group", "creationflags")


# Streams that hold no descriptor: never a resource.
IN_MEMORY_STREAMS = ("BytesIO", "StringIO")


# What ``with`` closes: factories whose result is its own context manager, whose ``__enter__``
# returns it and whose ``__exit__`` only closes it (so that ``with f(...) as x:`` is
# ``x = f(...); try: ... finally: x.close()``). The fixes wrap only these in ``with``; a
# connection whose ``__exit__`` commits, or ``TemporaryDirectory`` (it binds a str), is not one.
WITH_CLOSES = frozenset(
    {
        "builtins.open",
        "bz2.BZ2File",
        "bz2.open",
        "codecs.open",
        "dbm.open",
        "fileinput.FileInput",
        "fileinput.input",
        "gzip.GzipFile",
        "gzip.open",
        "httpx.Client",
        "io.FileIO",
        "io.open",
        "io.open_code",
        "lzma.LZMAFile",
        "lzma.open",
        "mmap.mmap",
        "os.fdopen",
        "os.scandir",
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "select.epoll",
        "select.kqueue",
        "selectors.DefaultSelector",
        "selectors.DevpollSelector",
        "selectors.EpollSelector",
        "selectors.KqueueSelector",
        "shelve.open",
        "socket.create_connection",
        "socket.create_server",
        "socket.fromfd",
        "socket.socket",
        "tarfile.TarFile",
        "tarfile.open",
        "tempfile.NamedTemporaryFile",
        "tempfile.SpooledTemporaryFile",
        "tempfile.TemporaryFile",
        "tokenize.open",
        "urllib.request.urlopen",
        "wave.open",
        "zipfile.PyZipFile",
        "zipfile.ZipFile",
    }
)

# The same for ``async with`` (``__aenter__`` returns the object, ``__aexit__`` closes it), with
# the method an explicit close awaits.
ASYNC_WITH_CLOSES: dict[str, str] = {
    "httpx.AsyncClient": "aclose",
    "aiohttp.ClientSession": "close",
}
