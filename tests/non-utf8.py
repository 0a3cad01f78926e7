#!/usr/bin/python3
"""Bytes that are not UTF-8 in the tree (TAP): kept, shown escaped, one warning per file.

A copy of the real AMD-Vi capture (x86-q72-k612-c-amd) gets bytes that are not well-formed UTF-8
in every kind of string the issue lists: a unit's name (its class entry, its directory and every
link to it), a group member's name, a group's type, a reserved region's type, the host name, the
kernel release, the machine ID, the CPU vendor and command-line values. The expected strings come
from Python's own UTF-8 decoder (errors="backslashreplace": one \\xHH per byte that is not part of
a well-formed sequence), after writing a backslash before "x" as \\x5c, as util-linux's
mbs_safe_encode() does. iommuctl dump must exit 0 with a schema-valid document that differs from
the unchanged tree's only there, with one warning per file; the daemon must serve the same.
Environment: srcdir, builddir, IOMMUCTL, IOMMUCTL_WRAPPER, DAEMON (as "make check" sets them).
"""

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BUILDDIR = os.environ.get("builddir") or "."
IOMMUCTL = os.environ.get("IOMMUCTL") or os.path.join(BUILDDIR, "cli", "iommuctl")
DAEMON = os.environ.get("DAEMON") or os.path.join(BUILDDIR, "daemon", "iommu-capd")
WRAP = shlex.split(os.environ.get("IOMMUCTL_WRAPPER") or "")
FIXTURE = os.path.join(SRCDIR, "tests", "fixtures", "x86-q72-k612-c-amd")
ENV = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))

N = 0
FAILED = 0


def t(ok, name, *diag):
    global N, FAILED
    N += 1
    print(f"{'ok' if ok else 'not ok'} {N} - {name}")
    if not ok:
        FAILED += 1
        for d in diag:
            for line in str(d).splitlines()[:10]:
                print(f"# {line}")


def shown(raw):
    """How a string of bytes must be shown (see the module's docstring)."""
    return raw.replace(b"\\x", b"\\x5cx").decode("utf-8", errors="backslashreplace")


def write(tree, path, data):
    with open(os.path.join(tree.encode(), path), "wb") as f:
        f.write(data)


def mutate(tree):
    """Put the bytes in; return {document path: raw bytes} and the files that must be warned of."""
    want, files = {}, []
    cmdline = open(os.path.join(tree, "proc/cmdline"), "rb").read().rstrip(b"\n")
    write(tree, b"proc/cmdline", cmdline + b" amd_iommu=off\xff iommu=pt\xc3\x28\n")
    want[("host", "cmdline", "amd_iommu")] = b"off\xff"
    want[("host", "cmdline", "iommu")] = b"pt\xc3\x28"  # a lead byte without its continuation
    files.append("proc/cmdline")
    write(tree, b"proc/sys/kernel/hostname", b"host\xfe\\xname\n")
    want[("host", "hostname")] = b"host\xfe\\xname"  # and a backslash before x
    files.append("proc/sys/kernel/hostname")
    os.makedirs(os.path.join(tree, "etc"), exist_ok=True)
    write(tree, b"etc/machine-id", b"0123456789abcdef0123456789abcd\xef\xff\n")
    want[("host", "machine_id")] = b"0123456789abcdef0123456789abcd\xef\xff"
    files.append("etc/machine-id")
    osrelease = open(os.path.join(tree, "proc/sys/kernel/osrelease"), "rb").read().rstrip(b"\n")
    write(tree, b"proc/sys/kernel/osrelease", osrelease + b"\xed\xa0\x80\n")  # a surrogate, U+D800
    want[("host", "kernel_release")] = osrelease + b"\xed\xa0\x80"
    files.append("proc/sys/kernel/osrelease")
    cpuinfo = open(os.path.join(tree, "proc/cpuinfo"), "rb").read()
    write(tree, b"proc/cpuinfo", cpuinfo.replace(b"AuthenticAMD", b"AuthenticAMD\xc0\x80"))  # overlong NUL
    want[("host", "cpu", "vendor")] = b"AuthenticAMD\xc0\x80"
    files.append("proc/cpuinfo")
    write(tree, b"sys/kernel/iommu_groups/4/type", b"DMA\xf4\x90\x80\x80\n")  # above U+10FFFF
    want[("groups", 4, "type")] = b"DMA\xf4\x90\x80\x80"
    files.append("sys/kernel/iommu_groups/4/type")
    rr = open(os.path.join(tree, "sys/kernel/iommu_groups/5/reserved_regions"), "rb").read()
    assert rr.splitlines()[0].endswith(b" msi"), rr
    write(tree, b"sys/kernel/iommu_groups/5/reserved_regions", rr.replace(b" msi\n", b" msi\xff\n", 1))
    want[("groups", 5, "reserved_regions", 0, "type")] = b"msi\xff"
    files.append("sys/kernel/iommu_groups/5/reserved_regions")
    members = os.path.join(tree.encode(), b"sys/kernel/iommu_groups/5/devices")
    os.rename(os.path.join(members, b"0000:01:00.0"), os.path.join(members, b"0000:01:00.0\x80"))
    want[("groups", 5, "devices", 0)] = b"0000:01:00.0\x80"
    files.append(shown(b"sys/kernel/iommu_groups/5/devices/0000:01:00.0\x80"))
    # The unit ivhd0 renamed everywhere: its directory, its class entry, every link to it (the
    # capture keeps links as files holding their target, or as symbolic links).
    root = tree.encode()
    unit_dir = os.path.join(root, b"sys/devices/pci0000:00/0000:00:01.0/iommu")
    os.rename(os.path.join(unit_dir, b"ivhd0"), os.path.join(unit_dir, b"ivhd0\xff"))
    for d, _, names in os.walk(root):
        for name in names:
            p = os.path.join(d, name)
            if os.path.islink(p):
                target = os.readlink(p)
                if target.endswith(b"/ivhd0"):
                    os.unlink(p)
                    os.symlink(target + b"\xff", p)
            else:
                with open(p, "rb") as f:
                    data = f.read(4096)
                if data.startswith(b"../") and data.endswith(b"/ivhd0"):
                    write(tree, p, data + b"\xff")
    cls = os.path.join(root, b"sys/class/iommu")
    os.rename(os.path.join(cls, b"ivhd0"), os.path.join(cls, b"ivhd0\xff"))
    want[("units", 0, "name")] = b"ivhd0\xff"
    want[("units", 0, "path")] = b"/sys/devices/pci0000:00/0000:00:01.0/iommu/ivhd0\xff"
    files.append(shown(b"sys/class/iommu/ivhd0\xff"))
    return want, files


def flatten(v, path=()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flatten(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from flatten(x, path + (i,))
    else:
        yield path, v


def dump(tree):
    p = subprocess.run(WRAP + [IOMMUCTL, "--sysroot", tree, "dump"], capture_output=True, env=ENV)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def via_daemon(tree, work):
    sock = os.path.join(work, "d.sock")
    with open(os.path.join(work, "d.err"), "wb") as err:
        d = subprocess.Popen([DAEMON, "--sysroot", tree, "--listen", "unix:" + sock],
                             stdout=subprocess.DEVNULL, stderr=err, env=ENV)
    try:
        for _ in range(200):
            if os.path.exists(sock) or d.poll() is not None:
                break
            time.sleep(0.05)
        if d.poll() is not None:
            return None, open(os.path.join(work, "d.err")).read()
        p = subprocess.run([IOMMUCTL, "--address", "unix:" + sock, "dump"], capture_output=True, env=ENV)
        return p.stdout if p.returncode == 0 else None, p.stderr.decode(errors="replace")
    finally:
        d.terminate()
        d.wait()


def main():
    work = tempfile.mkdtemp(prefix="non-utf8.")
    try:
        tree = os.path.join(work, "tree")
        shutil.copytree(FIXTURE, tree, symlinks=True)
        rc, before, _ = dump(tree)
        if rc != 0:
            print(f"Bail out! the unchanged tree: exit {rc}")
            return 1
        want, files = mutate(tree)
        rc, out, err = dump(tree)
        t(rc == 0, "dump exits 0", err)
        try:
            doc = json.loads(out)
        except ValueError as e:
            t(False, "dump prints a JSON document", e)
            doc = {}
        with open(os.path.join(work, "doc.json"), "wb") as f:
            f.write(out)
        v = subprocess.run(["/usr/bin/python3", os.path.join(SRCDIR, "tests", "validate-json"),
                            os.path.join(BUILDDIR, "schema", "host.schema.json"),
                            os.path.join(work, "doc.json")], capture_output=True, text=True)
        t(v.returncode == 0, "the document is valid against schema/host.schema.json", v.stderr)
        got = dict(flatten(doc))
        for path, raw in want.items():
            t(got.get(path) == shown(raw), f"{'.'.join(map(str, path))} is {shown(raw)!r}",
              f"got {got.get(path)!r}")
        # Every device behind the unit names it as it is shown.
        behind = [d["address"] for d in doc.get("devices", []) if d.get("unit") is not None]
        t(behind and all(d.get("unit") == shown(b"ivhd0\xff") for d in doc["devices"] if d.get("unit")),
          f"the {len(behind)} devices behind the unit name it escaped alike")
        # Nothing else differs. The default domain is derived from the groups' types, one of
        # which is no longer "DMA"; the warnings are checked below.
        old = dict(flatten(json.loads(before)))
        skip = set(want) | {p for p in got if p[:1] == ("warnings",) or p[:2] == ("host", "default_domain")}
        skip |= {p for p in got if len(p) == 3 and p[0] == "devices" and p[2] == "unit"}
        changed = sorted(str(p) for p in set(old) | set(got)
                         if p not in skip and old.get(p, "<absent>") != got.get(p, "<absent>"))
        t(not changed, "the rest of the document is as from the unchanged tree", *changed[:5])
        warned = [line for line in err.splitlines() if "not UTF-8" in line]
        expect = [f"iommuctl: warning: {f}: bytes that are not UTF-8, shown as \\xHH" for f in files]
        t(sorted(warned) == sorted(expect), "one warning per file, naming it",
          *(f"missing: {w}" for w in sorted(set(expect) - set(warned))),
          *(f"extra: {w}" for w in sorted(set(warned) - set(expect))))
        t(sorted(doc.get("warnings", [])) == sorted(w.split("warning: ", 1)[1] for w in expect),
          "the document's warnings say the same")
        for cmd in (["show"], ["devices"], ["groups"], ["tree"], ["dump", "--format=prometheus"],
                    ["dump", "--format=nfd"]):
            p = subprocess.run(WRAP + [IOMMUCTL, "--sysroot", tree] + cmd, capture_output=True, env=ENV)
            t(p.returncode == 0, f"{' '.join(cmd)} exits 0", p.stderr.decode(errors="replace"))
        served, derr = via_daemon(tree, work)
        t(served == out, "the daemon starts and serves the same document", derr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{N}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
