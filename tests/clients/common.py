"""Shared helpers of the tests/clients python tests: TAP output, the fetched varlink tools, the
daemon on a fixture tree, and a raw varlink connection."""
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

srcdir = os.path.abspath(os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), "..", "..")))
builddir = os.path.abspath(os.environ.get("builddir", "."))
DAEMON = os.path.join(builddir, "daemon", "iommu-capd")
IOMMUCTL = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
FIXTURES = os.path.join(srcdir, "tests", "fixtures")
# make check-valgrind runs the servers under valgrind too (a leak or bad access: exit 99).
WRAPPER = shlex.split(os.environ.get("IOMMUCTL_WRAPPER", ""))


class Tap:
    """TAP output: numbered checks; "# TODO" checks are known failures that do not fail make check."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, detail="", todo=None):
        self.n += 1
        line = ("ok" if ok else "not ok") + f" {self.n} - {what}"
        if todo:
            line += f" # TODO {todo}"
        print(line, flush=True)
        if not ok:
            if not todo:
                self.failed += 1
            for dl in str(detail).splitlines()[:40]:
                print(f"# {dl}", flush=True)
        return ok

    def bail(self, why):
        print(f"Bail out! {why}", flush=True)
        sys.exit(1)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(why):
    print(f"1..0 # SKIP {why}", flush=True)
    sys.exit(0)


def fetch_deps():
    """Fetch the third-party tools (tests/deps/fetch); return the cache directory, or skip the
    whole test when they cannot be had (no network on first use)."""
    fetch = os.path.join(srcdir, "tests", "deps", "fetch")
    if not os.access(fetch, os.X_OK):
        skip_all("tests/deps/fetch is missing")
    r = subprocess.run([fetch], capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("tests/deps/fetch failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
    deps = subprocess.run([fetch, "--print-dir"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return deps


def use_python_varlink(deps):
    """Put python3-varlink (from env.sh's PYTHONPATH) on sys.path; return that PYTHONPATH."""
    env_sh = os.path.join(deps, "env.sh")
    pp = subprocess.run(["/bin/sh", "-c", '. "$1" && printf %s "$PYTHONPATH"', "sh", env_sh],
                        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    for p in reversed(pp.split(":")):
        if p and p not in sys.path:
            sys.path.insert(0, p)
    return pp


def copy_fixture(name, dest):
    """Copy a fixture tree keeping its symbolic links (cp -a)."""
    subprocess.run(["cp", "-a", os.path.join(FIXTURES, name), dest], check=True)
    return dest


class Daemon:
    """iommu-capd on a tree, listening on a socket in a temp dir; stopped with SIGTERM."""

    def __init__(self, tree, sock, log):
        self.tree, self.sock, self.address = tree, sock, "unix:" + sock
        self.log = open(log, "wb")
        self.logname = log
        self.proc = subprocess.Popen(WRAPPER + [DAEMON, "--sysroot", tree, "--listen", self.address],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + (60 if WRAPPER else 10)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"iommu-capd exited with {self.proc.returncode}: " + self.logtext())
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        self.proc.kill()
        raise RuntimeError("iommu-capd did not listen in time")

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logname, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60 if WRAPPER else 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.log.close()
        return self.proc.returncode


class Raw:
    """A raw varlink connection: send call objects, read NUL-terminated replies."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b"\0")

    def recv(self, timeout=None):
        """The next reply, or None when the peer closed; socket.timeout when none came."""
        if timeout is not None:
            self.s.settimeout(timeout)
        while b"\0" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, parameters=None, **flags):
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        msg.update(flags)
        self.send(msg)
        return self.recv()

    def close(self):
        self.s.close()


def offline_dump(tree):
    """What iommuctl prints for the tree without the daemon: the host document."""
    r = subprocess.run([IOMMUCTL, "-q", "--offline", "--sysroot", tree, "dump"],
                       capture_output=True, text=True)
    if r.returncode != 0:  # an iommuctl without --offline probes directly under --sysroot
        r = subprocess.run([IOMMUCTL, "-q", "--sysroot", tree, "dump"], capture_output=True,
                           text=True, check=True)
    return json.loads(r.stdout)


def strip_nulls(v):
    """python3-varlink's client drops members whose value is null: compare without them."""
    if isinstance(v, dict):
        return {k: strip_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [strip_nulls(x) for x in v]
    return v


def first_difference(a, b, path=""):
    """A line naming where two JSON values first differ, or None."""
    if type(a) is not type(b):
        return f"{path or '/'}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}/{k}: only in the {'first' if k in a else 'second'}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path or '/'}: {len(a)} elements != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{path or '/'}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def tempdir():
    d = tempfile.mkdtemp(prefix="iommucapd-clients.")
    return d


def rmtree(d):
    shutil.rmtree(d, ignore_errors=True)


def idl_problems(iface, t, v, path="", out=None):
    """Where the JSON value v does not conform to the type t of a python3-varlink Interface
    (strictly: no unknown members, no null where the type is not nullable, an int is no float)."""
    from varlink import scanner
    out = [] if out is None else out
    if len(out) > 20:
        return out
    where = path or "/"
    if isinstance(t, scanner._Maybe):
        if v is not None:
            idl_problems(iface, t.element_type, v, path, out)
        return out
    if v is None:
        out.append(f"{where}: null, the type is not nullable")
    elif isinstance(t, scanner._CustomType):
        idl_problems(iface, iface.members[t.name], v, path, out)
    elif isinstance(t, scanner._Alias):
        idl_problems(iface, t.type, v, path, out)
    elif isinstance(t, set):
        if not isinstance(v, dict) or any(x != {} for x in v.values()):
            out.append(f"{where}: not a [string]() set: {json.dumps(v)[:100]}")
    elif isinstance(t, scanner._Dict):
        if not isinstance(v, dict):
            out.append(f"{where}: not a map: {json.dumps(v)[:100]}")
        else:
            for k, x in v.items():
                idl_problems(iface, t.element_type, x, f"{path}[{k}]", out)
    elif isinstance(t, scanner._Array):
        if not isinstance(v, list):
            out.append(f"{where}: not an array: {json.dumps(v)[:100]}")
        else:
            for i, x in enumerate(v):
                idl_problems(iface, t.element_type, x, f"{path}/{i}", out)
    elif isinstance(t, scanner._Object):
        if not isinstance(v, dict):
            out.append(f"{where}: not an object: {json.dumps(v)[:100]}")
    elif isinstance(t, scanner._Enum):
        if not isinstance(v, str) or v not in list(t.fields):
            out.append(f"{where}: {json.dumps(v)[:100]} is not one of {list(t.fields)}")
    elif isinstance(t, scanner._Struct):
        if not isinstance(v, dict):
            out.append(f"{where}: not a struct: {json.dumps(v)[:100]}")
        else:
            for k, ft in t.fields.items():
                idl_problems(iface, ft, v.get(k), f"{path}/{k}", out)
            for k in v:
                if k not in t.fields:
                    out.append(f"{path}/{k}: not in the interface")
    elif type(t) is bool:
        if type(v) is not bool:
            out.append(f"{where}: {json.dumps(v)[:100]} is not a bool")
    elif type(t) is int:
        if type(v) is not int:
            out.append(f"{where}: {json.dumps(v)[:100]} is not an int")
    elif type(t) is float:
        if type(v) not in (int, float):
            out.append(f"{where}: {json.dumps(v)[:100]} is not a float")
    elif type(t) is str:
        if type(v) is not str:
            out.append(f"{where}: {json.dumps(v)[:100]} is not a string")
    else:
        out.append(f"{where}: unknown IDL type {t!r}")
    return out
