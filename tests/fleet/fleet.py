#!/usr/bin/python3
# iommuctl compare and baseline (TAP): every fixture's document, documents generated from them
# (tests/fleet/gen-hosts), held against a second statement of the semantics (fleet_oracle.py);
# properties: compare is reflexive; widening and narrowing give superset and subset; the baseline
# of one host is its offer; the baseline passes iommuctl check on each host; adding a host never
# widens it; it is independent of the hosts' order; bad documents are refused with the path.
# Requires: python3-jsonschema
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile

import jsonschema

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
wrapper = shlex.split(os.environ.get("IOMMUCTL_WRAPPER", ""))
test_fleet = os.path.join(builddir, "tests", "fleet", "test-fleet")
gen_hosts = os.path.join(srcdir, "tests", "fleet", "gen-hosts")
FX = os.path.join(srcdir, "tests", "fixtures")
sys.path.insert(0, os.path.join(srcdir, "tests", "fleet"))
import fleet_oracle as O  # noqa: E402

with open(os.path.join(builddir, "schema", "requirement.schema.json")) as f:
    REQ_SCHEMA = json.load(f)
REQ_VALIDATOR = jsonschema.validators.validator_for(REQ_SCHEMA)(REQ_SCHEMA)

n = 0
failed = 0


def t(cond, what, detail=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[:30]:
            print("# " + line)
    sys.stdout.flush()
    return cond


def run(*args, stdin=None, wrap=True):
    cmd = (wrapper if wrap else []) + [iommuctl] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True)


def compare_lines(a, bs, *opts):
    """compare -J A B... -> {b: result object}"""
    p = run("compare", "-J", "--compact", *opts, a, *bs)
    out = {}
    for line in p.stdout.splitlines():
        j = json.loads(line)
        out[j["b"]] = j
    return p, out


def baseline(files, *opts):
    p = run("baseline", *opts, *files)
    return p, (json.loads(p.stdout) if p.returncode == 0 else None)


def valid_requirement(doc):
    return [e.message for e in REQ_VALIDATOR.iter_errors(doc)]


tmp = tempfile.mkdtemp(prefix="fleet-test.")
docs = {}


def write(name, doc):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    docs[path] = doc
    return path


# ---- documents from every fixture --------------------------------------------------------------

fixtures = sorted(d for d in os.listdir(FX) if os.path.isdir(os.path.join(FX, d)))
fx_file = {}
for d in fixtures:
    p = run("--sysroot", os.path.join(FX, d), "-q", "dump", wrap=False)
    if not t(p.returncode == 0, "dump fixture %s" % d, p.stderr):
        continue
    fx_file[d] = write(d + ".json", json.loads(p.stdout))
fx_files = [fx_file[d] for d in fixtures if d in fx_file]
with_units = [f for f in fx_files if docs[f]["units"]]
t(len(with_units) >= 20 and len(fx_files) > len(with_units),
  "fixtures with and without IOMMU units (%d of %d with)" % (len(with_units), len(fx_files)))


def check_pairs(a, results, what, migratable=False):
    bad = []
    oa = O.offers(docs[a], migratable)
    for b, j in results.items():
        ob = O.offers(docs[b], migratable)
        want = O.compare(oa, ob)
        if j["result"] != want:
            bad.append("%s: got %s, want %s" % (os.path.basename(b), j["result"], want))
        if len(oa) == 1 and len(ob) == 1:
            rel = O.relations(oa[0], ob[0])
            got = {d["field"]: d["relation"] for d in j["differences"]}
            if rel != got:
                bad.append("%s: differences %s, want %s" % (os.path.basename(b), got, rel))
        elif j["result"] == "identical" and j["differences"]:
            bad.append("%s: identical with differences" % os.path.basename(b))
    t(not bad and len(results) > 0, what, "\n".join(bad))


# Every fixture against every fixture (itself included): the oracle's answer and differences.
for a in fx_files:
    p, res = compare_lines(a, fx_files)
    t(p.returncode in (0, 1) and len(res) == len(fx_files) - 0 and
      res[a]["result"] == "identical" and res[a]["differences"] == [],
      "compare %s with itself: identical" % os.path.basename(a), p.stderr)
    check_pairs(a, res, "compare %s with every fixture: as the oracle says" % os.path.basename(a))

# Baseline of one host: its offer; a requirement document that iommuctl check passes there.
for d in fixtures:
    f = fx_file.get(d)
    if not f:
        continue
    p, b = baseline([f])
    if not docs[f]["units"]:
        t(p.returncode == 1 and "no IOMMU unit" in p.stderr and not p.stdout,
          "baseline of %s (no unit) fails: no requirement is satisfied there" % d, p.stderr)
        continue
    want = O.requirement(O.best(O.offers(docs[f])))
    t(p.returncode == 0 and b == want, "baseline of %s is its offer" % d,
      "got  %s\nwant %s\n%s" % (b, want, p.stderr))
    errs = valid_requirement(b) if b else ["none"]
    t(not errs, "baseline of %s validates against requirement.schema.json" % d, errs)
    path = write("baseline-" + d + ".json", b)
    c = run("--sysroot", os.path.join(FX, d), "check", path)
    t(c.returncode == 0, "iommuctl check of the baseline of %s passes on %s" % (d, d), c.stdout)

# The baseline of every fixture with units passes iommuctl check on each fixture tree.
p, b = baseline(with_units)
t(p.returncode == 0 and b == O.baseline([docs[f] for f in with_units]),
  "baseline of the %d fixtures with units: as the oracle says" % len(with_units), p.stderr)
path = write("baseline-fixtures.json", b)
bad = []
for f in with_units:
    d = os.path.basename(f)[:-5]
    c = run("--sysroot", os.path.join(FX, d), "check", path, wrap=False)
    if c.returncode != 0:
        bad.append(d)
t(not bad, "iommuctl check of that baseline passes on every fixture tree", bad)

# The VT-d hosts (broken trees aside: they know nothing): what they have in common.
intel = [f for f in with_units if all(u["model"] == "intel-vtd" for u in docs[f]["units"]) and
         "broken-" not in f]
p, b = baseline(intel)
t(p.returncode == 0 and b == O.baseline([docs[f] for f in intel]) and "page_sizes" not in b and
  "pgtable_formats" not in b and b.get("features", {}).get("stall") == "disabled",
  "baseline of the VT-d fixtures: the stall model; no second-stage formats or page sizes, "
  "which no guest sees", b)

# ---- generated documents -----------------------------------------------------------------------


def generate(mode, count, seed, sources):
    out = os.path.join(tmp, "gen-%s-%d" % (mode, seed))
    subprocess.run([sys.executable, gen_hosts, "--mode", mode, "--count", str(count), "--seed",
                    str(seed), "--out", out] + sources, check=True)
    files = []
    with open(os.path.join(out, "sources.tsv")) as f:
        pairs = [line.rstrip("\n").split("\t") for line in f]
    for fn, src in pairs:
        path = os.path.join(out, fn)
        with open(path) as g:
            docs[path] = json.load(g)
        files.append((path, src))
    return files


gen = [f for f, _ in generate("random", 300, 7, fx_files)]
gen_units = [f for f in gen if docs[f]["units"]]
rng = random.Random(11)

for a in rng.sample(gen, 4):
    p, res = compare_lines(a, gen)
    t(res.get(a, {}).get("result") == "identical", "generated %s: identical with itself" %
      os.path.basename(a))
    check_pairs(a, res, "compare generated %s with 300 documents: as the oracle says" %
                os.path.basename(a))
for a in rng.sample(gen, 2):
    p, res = compare_lines(a, gen, "--migratable")
    check_pairs(a, res, "compare --migratable %s with 300 documents: as the oracle says" %
                os.path.basename(a), migratable=True)

for i in range(12):
    s = rng.sample(gen_units, rng.choice([1, 2, 5, 20, 60, 150]))
    mig = ["--migratable"] if i % 4 == 3 else []
    p, b = baseline(s, *mig)
    want = O.baseline([docs[f] for f in s], migratable=bool(mig))
    t(p.returncode == 0 and b == want,
      "baseline%s of %d generated hosts: as the oracle says" % (" " + mig[0] if mig else "",
                                                               len(s)),
      "got  %s\nwant %s\n%s" % (b, want, p.stderr))
    errs = valid_requirement(b) if b else ["none"]
    t(not errs, "... it validates against requirement.schema.json", errs)
    path = write("baseline-gen-%d.json" % i, b)
    c = subprocess.run(wrapper + [test_fleet, "--check", path] + s, capture_output=True,
                       text=True)
    t(c.returncode == 0, "... iommuctl's check passes it on each of the %d hosts" % len(s),
      c.stderr)
    if mig:
        allowed = {"min": {"input_bits"}, "features": {"dirty_tracking",
                                                       "httu"}}
        extra = [k for k in b if k != "schema_version" and k not in allowed] + \
            [k2 for k in allowed for k2 in b.get(k, {}) if k2 not in allowed[k]]
        t(not extra, "... --migratable leaves out what blocks migration", extra)
    shuffled = list(reversed(s))
    p2, b2 = baseline(shuffled, *mig)
    t(b2 == b, "... the same in another order")

# Adding a host never widens the baseline.
seq = rng.sample(gen_units, 25)
prev = None
widened = []
for k in range(1, len(seq) + 1):
    b = O.baseline([docs[f] for f in seq[:k]])
    if prev is not None and not O.req_le(b, prev):
        widened.append((k, prev, b))
    prev = b
t(not widened, "oracle: adding a host never widens the baseline", widened)
prev = None
widened = []
for k in (1, 2, 3, 5, 8, 13, 25):
    p, b = baseline(seq[:k])
    if p.returncode != 0 or (prev is not None and not O.req_le(b, prev)):
        widened.append((k, prev, b, p.stderr))
    prev = b
t(not widened, "iommuctl: adding hosts never widens the baseline (1, 2, 3, 5, 8, 13, 25 hosts)",
  widened)

# Widened and narrowed variations of a source: superset (or identical) and subset.
reps = [fx_file[d] for d in ("x86-q72-k612-a-intel-default", "x86-q72-k612-b-intel-sm",
                             "x86-q72-k612-c-amd", "smmuv3-props-full", "smmuv3-props-none",
                             "smmuv3-props-unknown-model", "large-host", "broken-empty-files",
                             "arm64-q72-k612-e-virtio-iommu") if d in fx_file]
for mode, allowed in (("widen", ("identical", "superset")), ("narrow", ("identical", "subset"))):
    files = generate(mode, len(reps) * 12, 3, reps)
    bad, seen = [], set()
    for src in reps:
        vs = [f for f, s in files if s == src]
        p, res = compare_lines(src, vs)
        for v in vs:
            r = res.get(v, {}).get("result")
            seen.add(r)
            if r not in allowed:
                bad.append("%s from %s: %s %s" % (os.path.basename(v), os.path.basename(src),
                                                  r, res.get(v, {}).get("differences")))
            elif (r == "identical") != (O.compare(O.offers(docs[src]), O.offers(docs[v])) ==
                                        "identical"):
                bad.append("%s: oracle disagrees" % v)
        if p.returncode != (0 if mode == "widen" else p.returncode):
            bad.append("exit status %d" % p.returncode)
    t(not bad and allowed[1] in seen,
      "compare source and %sed variation: %s (%d documents)" % (mode, " or ".join(allowed),
                                                                 len(files)), "\n".join(bad))

# ---- standard input ----------------------------------------------------------------------------

a, b_ = fx_file["x86-q72-k612-a-intel-default"], fx_file["x86-q72-k612-b-intel-sm"]
with open(a) as f:
    p = run("compare", "-", b_, stdin=f.read())
t(p.returncode == 0 and p.stdout.startswith(
    b_ + " is a superset of standard input: it can take every guest that host can"),
  "compare - B: A from standard input; superset, exit 0", p.stdout + p.stderr)
p = run("compare", b_, a)
t(p.returncode == 1 and p.stdout.startswith(a + " is a subset of " + b_) and
  "  less     min.input_bits: A 48, B 39" in p.stdout,
  "compare: subset, exit 1, the fields that differ", p.stdout)
p = run("compare", fx_file["x86-q72-k612-c-amd"], a)
t(p.returncode == 1 and " is incompatible with " in p.stdout and
  "  differs  model: A amd-vi, B intel-vtd" in p.stdout, "compare: incompatible, exit 1",
  p.stdout)

s = rng.sample(gen_units, 40)
stream = "".join(json.dumps(docs[f]) + "\n" for f in s[10:])
p = run("baseline", *s[:10], "-", stdin=stream)
p2, b = baseline(s)
t(p.returncode == 0 and json.loads(p.stdout) == b,
  "baseline FILE... -: files and a stream of documents on standard input", p.stderr)
p = run("baseline", "-", stdin=stream.replace("\n", " "))
t(p.returncode == 0 and json.loads(p.stdout) == O.baseline([docs[f] for f in s[10:]]),
  "baseline -: concatenated documents", p.stderr)

# ---- refused documents and usage ----------------------------------------------------------------

good = docs[fx_file["x86-q72-k612-b-intel-sm"]]


def mutated(name, fn):
    d = json.loads(json.dumps(good))
    fn(d)
    return write(name, d)


bad_cases = [
    ("schema_version 2", mutated("v2.json", lambda d: d.update(schema_version=2)),
     "schema_version: version 2 is not supported"),
    ("no schema_version", mutated("v0.json", lambda d: d.pop("schema_version")),
     "schema_version: missing"),
    ("a width that is a string",
     mutated("ssid.json", lambda d: d["units"][0]["capabilities"].update(ssid_bits="20")),
     "units/0/capabilities/ssid_bits: expected an integer or null"),
    ("a list that is not", mutated("ps.json", lambda d: d["units"][0]["capabilities"].update(
        page_sizes=4096)), "units/0/capabilities/page_sizes"),
    ("no units", mutated("nounits.json", lambda d: d.pop("units")), "units: missing"),
    ("a unit without a name", mutated("noname.json", lambda d: d["units"][0].pop("name")),
     "units/0/name: missing"),
]
for what, path, msg in bad_cases:
    for cmd in (["compare", fx_file["x86-q72-k612-a-intel-default"], path],
                ["baseline", fx_file["x86-q72-k612-a-intel-default"], path]):
        p = run(*cmd)
        t(p.returncode == 65 and p.stderr.strip().count("\n") == 0 and
          ("invalid host document (%s): " % path) in p.stderr and msg in p.stderr and
          not p.stdout, "%s %s refused (65) with the path: %s" % (cmd[0], what, msg),
          p.stderr + p.stdout)
notjson = os.path.join(tmp, "not.json")
with open(notjson, "w") as f:
    f.write('{"schema_version": 1,')
for cmd in ("compare", "baseline"):
    p = run(cmd, notjson, notjson)
    t(p.returncode == 65 and notjson + ": not JSON" in p.stderr, "%s: not JSON (65)" % cmd,
      p.stderr)
    p = run(cmd, os.path.join(tmp, "missing.json"), notjson)
    t(p.returncode == 66 and "cannot read" in p.stderr, "%s: a missing file (66)" % cmd, p.stderr)
    p = run(cmd, "-", "-")
    t(p.returncode == 64, "%s: standard input named twice (64)" % cmd, p.stderr)
p = run("baseline", "-", stdin=json.dumps(good) + "\n" + '{"schema_version": 2}')
t(p.returncode == 65 and "standard input, document 2" in p.stderr,
  "baseline -: a bad second document is named by its number (65)", p.stderr)
p = run("baseline", "-", stdin="")
t(p.returncode == 65, "baseline -: no document (65)", p.stderr)
p = run("compare", fx_file["x86-q72-k612-a-intel-default"])
t(p.returncode == 64, "compare with one document: usage (64)", p.stderr)
p = run("baseline")
t(p.returncode == 64, "baseline without documents: usage (64)", p.stderr)
p = run("baseline", fx_file["x86-q72-k612-a-intel-default"],
        fx_file["x86-q72-k61-d-virtio-iommu"])
t(p.returncode == 1 and "x86-q72-k61-d-virtio-iommu.json has no IOMMU unit" in p.stderr,
  "baseline with a host without units: 1, named", p.stderr)
p = run("compare", "-J", a, b_)
j = json.loads(p.stdout) if p.returncode == 0 else {}
t(set(j) == {"result", "differences", "a", "b"} and j["result"] == "superset" and
  all(set(d) == {"field", "relation", "a", "b", "a_unit", "b_unit"} for d in j["differences"]),
  "compare -J: {result, differences[{field, relation, a, b, a_unit, b_unit}], a, b}", p.stdout)

print("1..%d" % n)
subprocess.run(["rm", "-rf", tmp])
sys.exit(1 if failed else 0)
