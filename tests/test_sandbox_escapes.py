"""Escapes found against the audit-hook sandbox, each retried against the kernel sandbox.

Every program here was written to get out in pure Python (the audit hook is on,
as in real runs): a `dir_fd` write into the host's /tmp and /dev/shm, an
unhooked `_posixsubprocess.fork_exec` shell that connects to a host unix
socket, reading every process's command line from /proc, reading the
repository, results and caches, and filling the disk. Each test asserts what
the host sees afterwards, not what the sandboxed program says about itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from codegap import sandbox
from codegap.sandbox import run_python

REPO = Path(__file__).resolve().parents[1]


def _unguarded(code: str, **kw) -> sandbox.SandboxResult:
    """Run with the audit hook switched off: what code that got around it could do."""
    opts = dict(stdin="", timeout_s=5.0, cpu_s=3, mem_mb=512, max_procs=64, max_output=10_000, file_mb=16)
    opts.update(kw)
    return sandbox._run(sandbox._plan(), code, guard=False, **opts)


def _still_works() -> None:
    res = run_python("import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))", stdin="2 3 4")
    assert res.ok, res
    assert res.stdout.strip() == "9"


def _fork_exec_program(argv: list[str]) -> str:
    """Sandboxed code that starts `argv` through `_posixsubprocess.fork_exec`, which
    raises no audit event, and prints what the started program printed."""
    return (
        "import _posixsubprocess, os\n"
        f"argv = [os.fsencode(a) for a in {argv!r}]\n"
        "r, w = os.pipe()\n"
        "er, ew = os.pipe()\n"
        "common = (argv, [argv[0]], True, (ew,), None, None, -1, -1, -1, w, -1, w, er, ew,\n"
        "          True, False, -1, None, None, None, -1, None)\n"
        "try:\n"
        "    pid = _posixsubprocess.fork_exec(*common, False)\n"
        "except TypeError:\n"
        "    pid = _posixsubprocess.fork_exec(*common)\n"
        "os.close(w); os.close(ew)\n"
        "out = b''\n"
        "while chunk := os.read(r, 65536):\n"
        "    out += chunk\n"
        "os.waitpid(pid, 0)\n"
        "print('CHILD SAID:', out.decode(errors='replace'))\n"
    )


def test_dir_fd_write_stays_inside_the_run() -> None:
    name = f"codegap-escape-{uuid.uuid4().hex}"
    code = (
        "import os\n"
        "for d in ('/tmp', '/dev/shm'):\n"
        "    dfd = os.open(d, os.O_RDONLY)\n"
        f"    fd = os.open({name!r}, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=dfd)\n"
        "    os.write(fd, b'left behind')\n"
        "    os.close(fd)\n"
        "print('WROTE')\n"
    )
    try:
        run_python(code)
        assert not (Path("/tmp") / name).exists(), "a dir_fd write reached the host's /tmp"
        assert not (Path("/dev/shm") / name).exists(), "a dir_fd write reached the host's /dev/shm"
        later = run_python(f"import os\nprint(os.path.exists('/tmp/{name}'), os.path.exists('/dev/shm/{name}'))")
        assert later.ok and later.stdout.split() == ["False", "False"], later
    finally:
        for d in ("/tmp", "/dev/shm"):
            (Path(d) / name).unlink(missing_ok=True)
    _still_works()


class _UnixListener:
    """A unix socket on the host that anyone may connect to; records connections."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="codegap-sock-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "host.sock")
        self.abstract = "\0codegap-test-" + uuid.uuid4().hex
        self.accepted: list[str] = []
        self.socks = []
        for addr in (self.path, self.abstract):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(addr)
            s.listen(4)
            s.settimeout(0.2)
            self.socks.append((addr, s))
        os.chmod(self.path, 0o777)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            for addr, s in self.socks:
                try:
                    conn, _ = s.accept()
                except OSError:
                    continue
                self.accepted.append(addr)
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for _, s in self.socks:
            s.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def test_unhooked_shell_cannot_reach_host_unix_sockets() -> None:
    listener = _UnixListener()
    inner = (
        "import socket\n"
        f"for addr in ({listener.path!r}, {listener.abstract!r}):\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    try:\n"
        "        s.connect(addr)\n"
        "        print('CONNECTED', repr(addr))\n"
        "    except OSError as e:\n"
        "        print('refused', repr(addr), e)\n"
    )
    try:
        res = run_python(_fork_exec_program(["/bin/sh", "-c", f"exec python3 -c \"{inner}\""]))
        time.sleep(0.5)  # let the accept loop see a late connection
    finally:
        listener.close()
    assert listener.accepted == [], f"sandboxed code connected to host sockets: {listener.accepted}\n{res}"
    assert "CONNECTED" not in res.stdout
    _still_works()


def test_host_processes_are_not_visible_in_proc() -> None:
    marker = f"codegap-marker-{uuid.uuid4().hex}"
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        time.sleep(0.2)
        res = run_python(
            "import os\n"
            "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            "seen = []\n"
            "for p in pids:\n"
            "    try:\n"
            "        seen.append(open(f'/proc/{p}/cmdline', 'rb').read())\n"
            "    except OSError:\n"
            "        pass\n"
            f"print(len(pids), any({marker.encode()!r} in c for c in seen))\n"
        )
    finally:
        host.kill()
        host.wait()
    assert res.ok, res
    count, found = res.stdout.split()
    assert found == "False", "a host process's command line is visible in the sandbox"
    assert int(count) < 10, f"{count} processes visible: /proc is not the sandbox's own"


def test_repository_results_and_caches_are_not_readable() -> None:
    from codegap.results import results_dir

    targets = [REPO / "README.md", REPO / "claims", results_dir(), results_dir() / "logs",
               Path.home() / ".cache", REPO / ".venv", REPO.parent / "shared"]
    targets = [t for t in targets if t.exists()]
    assert targets
    code = (
        "import os\n"
        f"for t in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        if os.path.isdir(t):\n"
        "            os.listdir(t)\n"
        "        else:\n"
        "            open(t, 'rb').read(1)\n"
        "        print('GOT-IN', t)\n"
        "    except OSError as e:\n"
        "        print('blocked', t, type(e).__name__)\n"
    )
    res = run_python(code)
    assert res.ok, res
    assert "GOT-IN" not in res.stdout, res.stdout
    _still_works()


def test_disk_quota_stops_a_large_write() -> None:
    # 8 MB files stay under the per-file limit (16 MB): only a quota on the
    # whole directory can stop 320 MB of them.
    code = (
        "import os\n"
        "chunk = b'x' * (8 * 1024 * 1024)\n"
        "for i in range(40):\n"
        "    with open(f'part-{i}.bin', 'wb') as fh:\n"
        "        fh.write(chunk)\n"
        "print('WROTE 320 MB')\n"
    )
    t0 = time.monotonic()
    res = run_python(code, timeout_s=20, cpu_s=10)
    assert not res.ok and "WROTE" not in res.stdout, res
    assert res.reason == "disk_full", res
    assert "No space left on device" in res.stderr
    assert time.monotonic() - t0 < 15
    _still_works()


def test_dev_shm_is_small_and_private() -> None:
    name = f"codegap-shm-{uuid.uuid4().hex}"
    fill = (
        "chunk = b'x' * (1024 * 1024)\n"
        f"with open('/dev/shm/{name}', 'wb') as fh:\n"
        "    for i in range(64):\n"
        "        fh.write(chunk)\n"
        "print('WROTE 64 MB')\n"
    )
    try:
        res = run_python(fill, file_mb=128)
        assert "PermissionError" in res.stderr, "the audit hook should refuse this first"
        res = _unguarded(fill, file_mb=128)
        assert not res.ok and res.reason == "disk_full", res
        assert not (Path("/dev/shm") / name).exists()
    finally:
        (Path("/dev/shm") / name).unlink(missing_ok=True)


def test_nothing_is_left_behind_on_the_host() -> None:
    name = f"codegap-left-{uuid.uuid4().hex}"
    marker = f"codegap-daemon-{uuid.uuid4().hex}"
    before = set(Path("/tmp").glob("codegap-sbx*"))
    code = (
        "import os, tempfile\n"
        f"open({name!r}, 'w').write('cwd')\n"
        f"open('/tmp/{name}', 'w').write('tmp')\n"
        f"open('/dev/shm/{name}', 'w').write('shm')\n"
        "tempfile.NamedTemporaryFile(delete=False).write(b'tempfile')\n"
        + _fork_exec_program(["/bin/sh", "-c", f"setsid python3 -c 'import time; time.sleep(60)' {marker} "
                                                 "</dev/null >/dev/null 2>&1 & echo started"])
    )
    res = _unguarded(code)
    assert res.ok and "started" in res.stdout, res
    time.sleep(0.3)
    try:
        for d in ("/tmp", "/dev/shm"):
            assert not (Path(d) / name).exists(), f"left a file in host {d}"
        assert set(Path("/tmp").glob("codegap-sbx*")) <= before, "left a working directory in host /tmp"
        alive = [p.pid for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
        assert alive == [], "a background process outlived the run"
    finally:
        for d in ("/tmp", "/dev/shm"):
            (Path(d) / name).unlink(missing_ok=True)
    _still_works()


def test_only_the_run_directory_and_dev_shm_are_writable() -> None:
    """Every other place the sandbox shows is read-only or absent (with a user
    namespace, bwrap's own tmpfs root and /dev would otherwise belong to the code
    and make unsized scratch space)."""
    code = (
        "import os\n"
        "for d in ['/', '/dev', '/etc', '/usr', '/proc', '/lib', '/bin', '/tmp', '/dev/shm', '/dev/pts']:\n"
        "    try:\n"
        "        with open(os.path.join(d, 'probe-x'), 'w') as fh:\n"
        "            fh.write('x')\n"
        "        print('WRITABLE', d)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    res = _unguarded(code)
    assert res.ok, res
    assert res.stdout.split() == ["WRITABLE", "/tmp", "WRITABLE", "/dev/shm"]


def test_kernel_containment_is_in_force() -> None:
    """The escape tests above mean little on a fallback plan: say so loudly."""
    info = sandbox.isolation()
    assert info["level"] == "kernel", (
        f"sandbox runs without kernel containment here ({info}); install bubblewrap "
        "(`make sandbox`) and, on Ubuntu 24.04, allow unprivileged user namespaces")
    assert info["private_filesystem"] and info["namespaces"] and info["disk_quota"]
    assert info["runs_as_uid"] != 0 and info["missing"] == []
