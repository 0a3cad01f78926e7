#!/usr/bin/python3
# "iommuctl dump --format=nfd" (TAP): for every fixture, the file is a node-feature-discovery local
# feature file whose every label Kubernetes accepts, checked by validators written here from the
# documentation, not from our code:
#   - NFD, docs/usage/customization-guide.md, "Local feature source" / "Input format":
#     "<namespace>/<name>[=<value>]" lines, "#" comments, "# +expiry-time=" in RFC 3339 applying
#     to the lines after it, files over 64 kB ignored, dot-files ignored (so written by rename).
#   - Kubernetes, concepts/overview/working-with-objects/labels.md, "Syntax and character set":
#     name segment required, at most 63 characters, beginning and ending with [a-z0-9A-Z], with
#     dashes, underscores, dots and alphanumerics between; the prefix a DNS subdomain (DNS labels
#     separated by dots, at most 253 characters) followed by "/"; values at most 63 characters,
#     empty or beginning and ending alphanumeric with [-_.a-zA-Z0-9] between. The DNS subdomain
#     rules (concepts/overview/working-with-objects/names.md, "DNS Subdomain Names"): lower case
#     alphanumerics, "-" or ".", starting and ending with an alphanumeric.
# The labels are also checked against the host document: they are one unit's capabilities.
import datetime
import json
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
wrapper_cmd = os.environ.get("IOMMUCTL_WRAPPER", "").split()
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))
fixtures = os.path.join(srcdir, "tests", "fixtures")
prefix = "iommu-capd.github.io"

t = Tap()


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def dns_label_ok(s):
    return (0 < len(s) <= 63 and s[0] in LOWER_ALNUM and s[-1] in LOWER_ALNUM
            and all(c in LOWER_ALNUM + "-" for c in s))


def dns_subdomain_ok(s):
    return 0 < len(s) <= 253 and all(dns_label_ok(p) for p in s.split("."))


def name_segment_ok(s):
    return (0 < len(s) <= 63 and s[0] in ALNUM and s[-1] in ALNUM
            and all(c in ALNUM + "-_." for c in s))


def label_value_ok(s):
    return s == "" or name_segment_ok(s)


def label_key_errors(key):
    if key.count("/") != 1:
        return "%r: a namespaced key has exactly one '/'" % key
    p, name = key.split("/")
    if not dns_subdomain_ok(p):
        return "%r: the prefix is not a DNS subdomain" % key
    if not name_segment_ok(name):
        return "%r: the name segment is not valid" % key
    return None


def parse_rfc3339(s):
    # The UTC form ("Z") RFC 3339 section 5.6 allows; NFD's example uses it.
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def feature_file_errors(data):
    """Every way the bytes fail NFD's format or Kubernetes' label rules; the labels."""
    errs, labels, expiry = [], {}, None
    if len(data) >= 64 * 1024:
        errs.append("%d bytes: NFD ignores files of 64 kB and more" % len(data))
    text = data.decode("ascii", "replace")
    if not text.endswith("\n"):
        errs.append("the last line has no newline")
    for i, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# +expiry-time="):
            if labels:
                errs.append("line %d: the expiry comes after labels it does not cover" % i)
            try:
                expiry = parse_rfc3339(line[len("# +expiry-time="):])
            except ValueError:
                errs.append("line %d: expiry-time is not RFC 3339: %r" % (i, line))
            continue
        if line.startswith("#") or line == "":
            continue
        key, eq, value = line.partition("=")
        if not eq:
            errs.append("line %d: %r has no value (NFD would make it \"true\")" % (i, line))
        e = label_key_errors(key)
        if e:
            errs.append("line %d: %s" % (i, e))
        elif not key.startswith(prefix + "/"):
            errs.append("line %d: %r is not in our namespace %s" % (i, key, prefix))
        if not label_value_ok(value):
            errs.append("line %d: %r is not a valid label value" % (i, value))
        if key in labels:
            errs.append("line %d: %r twice" % (i, key))
        labels[key] = value
    if expiry is None:
        errs.append("no # +expiry-time= line")
    return errs, labels, expiry


def run(args, **kw):
    return subprocess.run(wrapper_cmd + [iommuctl] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)


# ---- the validators themselves, on the documentation's examples -----------------------------
good_keys = ["feature.node.kubernetes.io/my-feature.1", "vendor.io/my-feature.3",
             "example.com/a_b.c-d", prefix + "/pasid-bits"]
bad_keys = ["my-feature", "Vendor.io/x", "vendor.io/-x", "vendor.io/x-", "a/b/c", "vendor..io/x",
            "vendor.io/" + "x" * 64, "-vendor.io/x", "vendor.io/", "vendor.io/x y"]
good_values = ["", "true", "456", "myvalue", "intel-vtd", "a" * 63, "1.2_3-4"]
bad_values = ["a" * 64, "-a", "a-", ".a", "a b", "a/b", "ä"]
t(all(label_key_errors(k) is None for k in good_keys)
  and all(label_key_errors(k) for k in bad_keys)
  and all(label_value_ok(v) for v in good_values)
  and not any(label_value_ok(v) for v in bad_values),
  "control: the validators accept the documented forms and reject the broken ones")
errs, _, _ = feature_file_errors(b"# +expiry-time=2023-07-29T11:22:33Z\n" + prefix.encode()
                                 + b"/x=" + b"y" * 64 + b"\n" + b"x" * 70000 + b"\n")
t(len(errs) >= 3, "control: an over-long value, an unprefixed line and a 70 kB file fail",
  "\n".join(errs))

# ---- every fixture ---------------------------------------------------------------------------
caps = {"pasid-bits": "ssid_bits", "input-bits": "input_bits", "nesting": "nesting",
        "dirty-tracking": "dirty_tracking", "ats": "ats", "pri": "pri"}
for fx in sorted(os.listdir(fixtures)):
    root = os.path.join(fixtures, fx)
    if not os.path.isdir(root):
        continue
    r = run(["--quiet", "--sysroot", root, "dump", "--format=nfd"])
    doc = run(["--quiet", "--sysroot", root, "dump"])
    if not t(r.returncode == 0 and doc.returncode == 0, "%s: dump --format=nfd succeeds" % fx,
             r.stderr.decode(errors="replace")):
        continue
    errs, labels, expiry = feature_file_errors(r.stdout)
    t(not errs, "%s: %d labels, every one valid for Kubernetes and NFD" % (fx, len(labels)),
      "\n".join(errs) + "\n" + r.stdout.decode(errors="replace"))
    want = datetime.datetime.fromtimestamp(epoch + 3600, datetime.timezone.utc)
    t(expiry == want, "%s: expires an hour after the probe (%s)" % (fx, want.isoformat()),
      "expiry %s" % expiry)

    # Against the host document: host-wide labels, and one unit having every unit label.
    host = json.loads(doc.stdout)
    short = {k[len(prefix) + 1:]: v for k, v in labels.items()}
    problems = []
    if short.get("units") != str(len(host["units"])):
        problems.append("units=%s, the document has %d" % (short.get("units"),
                                                           len(host["units"])))
    if short.get("iommufd") != ("true" if host["host"]["dev_iommu"] else "false"):
        problems.append("iommufd=%s, dev_iommu is %s" % (short.get("iommufd"),
                                                         host["host"]["dev_iommu"]))
    unit_labels = {k: v for k, v in short.items() if k in caps or k == "model"}

    def as_label(v):
        return None if v is None else ("true" if v is True else "false" if v is False
                                       else str(v))

    matching = [u["name"] for u in host["units"]
                if all((u["model"] if k == "model" else as_label(u["capabilities"][caps[k]]))
                       == v for k, v in unit_labels.items())]
    if host["units"] and not matching:
        problems.append("no unit has all of %s" % unit_labels)
    if not host["units"] and unit_labels:
        problems.append("unit labels without units: %s" % unit_labels)
    t(not problems, "%s: the labels are the document's (units, /dev/iommu, unit %s)"
      % (fx, ",".join(matching[:3]) or "-"), "\n".join(problems))

    # The vIOMMU labels name QEMU 11.1 devices (-device help) and are what suggest chooses, with
    # and without --migratable; no label where suggest finds nothing compatible.
    qemu_viommus = {"intel-iommu", "amd-iommu", "arm-smmuv3", "virtio-iommu-pci"}
    problems = []
    for name, extra in (("viommu", []), ("viommu-migratable", ["--migratable"])):
        sg = run(["--quiet", "--sysroot", root, "suggest", "-J"] + extra)
        want = json.loads(sg.stdout)["model"] if sg.returncode == 0 else None
        if short.get(name) != want:
            problems.append("%s=%s, suggest %s says %s" % (name, short.get(name),
                                                            " ".join(extra), want))
        if name in short and short[name] not in qemu_viommus:
            problems.append("%s=%s is not a QEMU vIOMMU device" % (name, short[name]))
    t(not problems, "%s: viommu=%s, viommu-migratable=%s, as suggest chooses"
      % (fx, short.get("viommu", "-"), short.get("viommu-migratable", "-")),
      "\n".join(problems))

# ---- the atomic writer (contrib/nfd/iommu-capd-nfd) ------------------------------------------
wrapper = os.path.join(srcdir, "contrib", "nfd", "iommu-capd-nfd")
sample = os.path.join(fixtures, "x86-q72-k612-c-amd")
with tempfile.TemporaryDirectory() as d:
    env = dict(os.environ, IOMMUCTL=iommuctl, IOMMUCTL_ARGS="--sysroot " + sample)
    r = subprocess.run([wrapper, d], env=env, stderr=subprocess.PIPE)
    path = os.path.join(d, "iommu-capd")
    ok = r.returncode == 0 and os.listdir(d) == ["iommu-capd"]
    if ok:
        with open(path, "rb") as f:
            first = f.read()
        ok = not feature_file_errors(first)[0] and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    t(ok, "iommu-capd-nfd writes DIR/iommu-capd, mode 0644, and leaves no dot-file",
      r.stderr.decode(errors="replace") + " ".join(os.listdir(d)))
    env["IOMMUCTL_ARGS"] = "--sysroot " + os.path.join(d, "nonexistent")
    r = subprocess.run([wrapper, d], env=env, stderr=subprocess.PIPE)
    with open(path, "rb") as f:
        kept = f.read()
    t(r.returncode != 0 and kept == first and os.listdir(d) == ["iommu-capd"],
      "iommu-capd-nfd: a failed probe leaves the previous file whole and no dot-file",
      r.stderr.decode(errors="replace"))

sys.exit(t.done())
