#!/usr/bin/python3
# iommuctl compare and baseline over many host documents: time against the number of hosts
# (1,000 to 10,000: linear?) and peak RSS (streaming: flat?). Documents are generated from the
# fixtures by tests/fleet/gen-hosts. --smoke: 100 hosts, results checked, no timing claimed (TAP).
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.normpath(os.path.join(here, "..", ".."))


# Peak RSS: a child of this (large) Python process starts with its RSS as its high-water mark,
# so GNU time, itself small, runs the command and reports the command's own.
GNU_TIME = "/usr/bin/time"


def run(cmd, stdin=None):
    """(wall seconds, CPU seconds, peak RSS in KiB; 0 when unknown; exit status, stdout)"""
    out = tempfile.TemporaryFile()
    rss = tempfile.NamedTemporaryFile(mode="r")
    if os.access(GNU_TIME, os.X_OK):
        cmd = [GNU_TIME, "-q", "-f", "%M %U %S", "-o", rss.name] + cmd
    t0 = time.perf_counter()
    st = subprocess.run(cmd, stdin=stdin, stdout=out, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    out.seek(0)
    try:
        peak, user, sys_ = rss.read().splitlines()[-1].split()
        peak, cpu = int(peak), float(user) + float(sys_)
    except (ValueError, IndexError):
        peak, cpu = 0, 0.0
    return wall, cpu, peak, st, out.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iommuctl", default=os.environ.get("IOMMUCTL",
                                                         os.path.join(top, "cli", "iommuctl")))
    ap.add_argument("--sizes", default="1000,2500,5000,10000")
    ap.add_argument("--reps", type=int, default=3, help="runs per point; the best is kept")
    ap.add_argument("--dir", default=os.environ.get("TMPDIR", "/tmp"),
                    help="where the documents are generated (removed afterwards)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("fixtures", nargs="*", help="fixture trees or host documents "
                    "(default: every tree in tests/fixtures)")
    a = ap.parse_args()
    if a.smoke:
        a.sizes, a.reps = "50,100", 1
    sizes = [int(s) for s in a.sizes.split(",")]
    srcdir = os.environ.get("srcdir", top)
    fx = a.fixtures or sorted(
        os.path.join(srcdir, "tests", "fixtures", d)
        for d in os.listdir(os.path.join(srcdir, "tests", "fixtures"))
        if os.path.isdir(os.path.join(srcdir, "tests", "fixtures", d)))
    work = tempfile.mkdtemp(prefix="bench-fleet.", dir=a.dir)
    try:
        return bench(a, sizes, fx, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(a, sizes, fx, work):
    hosts = os.path.join(work, "hosts")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(top, "tests", "fleet", "gen-hosts"),
                    "--units-only", "--count", str(max(sizes)), "--seed", str(a.seed),
                    "--iommuctl", a.iommuctl, "--out", hosts] + fx, check=True)
    files = sorted(os.path.join(hosts, f) for f in os.listdir(hosts) if f.endswith(".json"))
    mb = sum(os.path.getsize(f) for f in files) / 1e6
    stream = os.path.join(work, "stream.jsonl")
    with open(stream, "w") as out:
        for f in files:
            with open(f) as g:
                out.write(json.dumps(json.load(g), separators=(",", ":")) + "\n")
    if not a.smoke:
        print("generated %d host documents (%.0f MB, %.1f s) from %d fixtures" %
              (len(files), mb, time.perf_counter() - t0, len(fx)))
        print("iommuctl: %s" % a.iommuctl)
        print()
        print("wall-clock seconds (CPU seconds), the best of %d runs" % a.reps)
        print("%6s  %16s %8s  %16s %8s  %16s %8s  %9s" % (
            "hosts", "compare", "us/host", "baseline", "us/host", "baseline -", "us/host",
            "peak RSS"))
    ref = files[0]
    rows, ok = [], True
    n_test = 0

    def tap(cond, what):
        nonlocal n_test, ok
        n_test += 1
        ok &= cond
        print("%sok %d - %s" % ("" if cond else "not ", n_test, what))

    for n in sizes:
        best = {}
        rss = 0
        for _ in range(a.reps):
            w, c, r, st, out = run([a.iommuctl, "compare", ref] + files[:n])
            compare_out = out
            best["compare"] = min(best.get("compare", w), w)
            best["compare-cpu"] = min(best.get("compare-cpu", c), c)
            rss = max(rss, r)
            w, c, r, st2, out = run([a.iommuctl, "baseline"] + files[:n])
            baseline_out = out
            best["baseline"] = min(best.get("baseline", w), w)
            best["baseline-cpu"] = min(best.get("baseline-cpu", c), c)
            rss = max(rss, r)
            # The same fold from one stream on standard input (what a pipeline would do).
            cut = os.path.join(work, "stream-%d.jsonl" % n)
            if not os.path.exists(cut):
                with open(stream) as s, open(cut, "w") as d:
                    for i, line in zip(range(n), s):
                        d.write(line)
            with open(cut) as s:
                w, c, r, st3, out = run([a.iommuctl, "baseline", "-"], stdin=s)
            best["stream"] = min(best.get("stream", w), w)
            best["stream-cpu"] = min(best.get("stream-cpu", c), c)
            rss = max(rss, r)
        rows.append((n, best, rss))
        if a.smoke:
            lines = compare_out.decode().splitlines()
            tap(st in (0, 1) and sum(not l.startswith("  ") for l in lines) == n,
                "compare one reference with %d hosts: one answer each" % n)
            tap(st2 == 0 and json.loads(baseline_out)["schema_version"] == 1,
                "baseline of %d hosts" % n)
            tap(st3 == 0 and json.loads(out) == json.loads(baseline_out),
                "baseline of %d hosts from a stream: the same" % n)
        else:
            print("%6d  %6.2fs (%5.2fs) %8.0f  %6.2fs (%5.2fs) %8.0f  %6.2fs (%5.2fs) %8.0f  "
                  "%6.1f MB" % (
                      n, best["compare"], best["compare-cpu"], best["compare"] / n * 1e6,
                      best["baseline"], best["baseline-cpu"], best["baseline"] / n * 1e6,
                      best["stream"], best["stream-cpu"], best["stream"] / n * 1e6, rss / 1024))
    if a.smoke:
        print("1..%d" % n_test)
        return 0 if ok else 1
    first, last = rows[0], rows[-1]
    print()
    for k in ("compare", "baseline", "stream"):
        print("%-8s per-host time at %d hosts / at %d hosts: %.2f wall, %.2f CPU" % (
            k, last[0], first[0], (last[1][k] / last[0]) / (first[1][k] / first[0]),
            (last[1][k + "-cpu"] / last[0]) / max(first[1][k + "-cpu"] / first[0], 1e-9)))
    print("peak RSS at %d hosts / at %d hosts: %.2f" % (last[0], first[0], last[2] / first[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
