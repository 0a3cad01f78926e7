#!/usr/bin/python3
# iommuctl suggest on every fixture (TAP): what it prints for QEMU and libvirt is what `check`
# calls compatible; each option made one step stronger (QEMU 11.1's own ladders, below) is
# refused by `check` with a reason; and where a fixture's raw registers decide an option, the
# value is the one QEMU's host checks allow, worked out here from the registers.
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
FX = os.path.join(srcdir, "tests", "fixtures")
tap = Tap()

# QEMU 11.1's values for each option, weakest first (None: unset, QEMU's default).
# hw/i386/intel_iommu.c vtd_decide_config(): aw-bits 39 or 48; pasid-bits a uint8 PASID width
# (the VT-d PASID is 20 bits); hw/arm/smmuv3.c smmu_validate_property(): oas 44 or 48, SSIDSIZE
# up to 20 (IDR1.SSIDSIZE); hw/virtio/virtio-iommu.c: aw-bits in [32, 64], granule modes.
SWITCH = [None, "on"]
LADDERS = {
    "intel-iommu": {"scalable-mode": SWITCH, "fsts": SWITCH, "aw-bits": ["39", "48"],
                    "fs1gp": ["off", "on"], "pasid-bits": [None] + [str(i) for i in range(1, 21)],
                    "device-iotlb": SWITCH, "svm": SWITCH},
    "arm-smmuv3": {"accel": SWITCH, "oas": ["44", "48"],
                   "ssidsize": [None] + [str(i) for i in range(1, 21)], "ats": SWITCH,
                   "ril": ["off", "on"]},
    "virtio-iommu-pci": {"aw-bits": [None] + [str(i) for i in range(32, 65)],
                         "granule": ["host", "64k", "16k", "8k", "4k"]},
    "amd-iommu": {"device-iotlb": SWITCH},
}
# QEMU's defaults where unset is not the weakest value.
DEFAULTS = {("intel-iommu", "aw-bits"): "48", ("intel-iommu", "fs1gp"): "on",
            ("arm-smmuv3", "oas"): "44", ("arm-smmuv3", "ril"): "on",
            ("virtio-iommu-pci", "granule"): "host"}


def run(*args):
    p = subprocess.run([iommuctl, "-q"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def parse(arg):
    parts = arg.split(",")
    return parts[0], [tuple(p.split("=", 1)) for p in parts[1:]]


def spell(dev, opts):
    return ",".join([dev] + ["%s=%s" % kv for kv in opts])


def with_value(opts, key, val):
    out = [kv for kv in opts if kv[0] != key]
    if val is not None:
        out.append((key, val))
    return out


def regs(fixture, unit, kind):
    """A unit's raw registers (hex files under .../iommu/UNIT/KIND/), as numbers."""
    for root, dirs, files in os.walk(os.path.join(FX, fixture, "sys", "devices")):
        if os.path.basename(root) == kind and os.path.basename(os.path.dirname(root)) == unit:
            out = {}
            for f in files:
                try:
                    out[f] = int(open(os.path.join(root, f)).read().strip(), 16)
                except ValueError:
                    pass
            return out
    return {}


def expected(fixture, units):
    """What the registers decide, per QEMU's host checks, for single-unit fixtures."""
    if len(units) != 1:
        return {}
    u = units[0]
    if u["model"] == "intel-vtd":
        r = regs(fixture, u["name"], "intel-iommu")
        # A file wider than 64 bits is not a register the kernel printed.
        if "cap" not in r or "ecap" not in r or max(r["cap"], r["ecap"]) >> 64:
            return {}
        mgaw = ((r["cap"] >> 16) & 0x3F) + 1  # VT-d 11.4.2 MGAW; vtd_check_hiod(): aw-bits
        exp = {"aw-bits": "48" if mgaw >= 48 else "39" if mgaw >= 39 else None}
        exp["device-iotlb"] = "on" if r["ecap"] & (1 << 2) else None  # ecap.DT
        # PASIDs the unit backs: ecap.PSS + 1 bits (VT-d 11.4.3), with SMTS (bit 43) and
        # PASID (bit 40); none without (pasid-bits needs scalable-mode).
        sm_pasid = r["ecap"] >> 43 & 1 and r["ecap"] >> 40 & 1
        exp["pasid-bits"] = str((r["ecap"] >> 35 & 0x1F) + 1) if sm_pasid else None
        return exp
    if u["model"] == "amd-vi":
        r = regs(fixture, u["name"], "amd-iommu")
        if "cap" not in r:
            return {}
        # The IOMMU capability header's IOTLBSup (bit 24, AMD IOMMU spec 3.2.1).
        return {"device-iotlb": "on" if r["cap"] & (1 << 24) else None}
    return {}


try:
    import jsonschema
    SCHEMA = json.load(open(os.path.join(srcdir, "schema", "suggestion.schema.json")))
    validator = jsonschema.Draft202012Validator(SCHEMA)
    req_validator = jsonschema.Draft202012Validator(
        json.load(open(os.path.join(builddir, "schema", "requirement.schema.json"))))
except ImportError:
    validator = req_validator = None


def valid(doc, name, v=None):
    v = v or validator
    if v is None:
        print("ok %d - %s # SKIP python3-jsonschema is not installed" % (tap.n + 1, name))
        tap.n += 1
        return
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    tap(not errors, name, "\n".join("/%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                                    for e in errors))


fixtures = sorted(f for f in os.listdir(FX) if os.path.isdir(os.path.join(FX, f, "sys")))
for fx in fixtures:
    root = os.path.join(FX, fx)
    st, out, err = run("--sysroot", root, "suggest", "-J")
    _, show, _ = run("--sysroot", root, "show", "-J")
    units = json.loads(show).get("units", []) if show else []
    if st != 0:
        tap(st == 1 and "no vIOMMU configuration is compatible: " in err,
            "%s: no suggestion, and why (exit 1): %s" % (fx, err.strip()), err)
        continue
    sg = json.loads(out)
    valid(sg, "%s: suggest -J validates against schema/suggestion.schema.json" % fx)
    valid(sg["requirement"], "%s: its requirement validates against requirement.schema.json" % fx,
          req_validator)
    st, out, err = run("--sysroot", root, "suggest", "-J", "--migratable")
    if st == 0:
        valid(json.loads(out), "%s: suggest -J --migratable validates" % fx)
    q = sg["qemu"]
    st, out, err = run("--sysroot", root, "check", "--qemu", q)
    tap(st == 0, "%s: check --qemu '%s' is compatible" % (fx, q), out + err)
    st, xml, _ = run("--sysroot", root, "suggest", "--libvirt")
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        st, out, err = run("--sysroot", root, "check", "--libvirt", f.name)
    tap(st == 0, "%s: check --libvirt of suggest --libvirt is compatible" % fx, xml + out + err)
    st, qq, _ = run("--sysroot", root, "suggest", "--qemu")
    tap(qq.strip() == q, "%s: suggest --qemu prints the -J document's qemu" % fx, qq)

    dev, opts = parse(q)
    have = dict(opts)
    for key, ladder in LADDERS[dev].items():
        cur = have.get(key)
        if key not in have:
            cur = DEFAULTS.get((dev, key))
        i = ladder.index(cur)
        if i + 1 == len(ladder):
            continue
        stronger = spell(dev, with_value(opts, key, ladder[i + 1]))
        st, out, err = run("--sysroot", root, "check", "--qemu", stronger)
        reason = (out + err).strip()
        # QEMU takes pasid-bits without fsts unchecked: beyond the host's it is a warning.
        warned = st == 0 and "[W] qemu." in out
        tap((st in (1, 2, 65) or warned) and reason != "",
            "%s: %s=%s (one step stronger) is refused, or warned of, with a reason (exit %d)"
            % (fx, key, ladder[i + 1], st), "%s\n%s" % (stronger, reason))

    for key, val in expected(fx, units).items():
        tap(have.get(key) == val, "%s: %s is %s, as the registers decide" % (fx, key, val),
            q)

# --device narrows to the device's unit and PCI capabilities; a device not on the host fails.
root = os.path.join(FX, "x86-q72-k612-b3-intel-sm-devtlb")
_, devs, _ = run("--sysroot", root, "devices", "-J")
for d in json.loads(devs)["devices"]:
    if not d.get("unit"):
        continue
    st, out, err = run("--sysroot", root, "suggest", "-J", "--device", d["device"])
    if st != 0:
        tap(False, "suggest --device %s" % d["device"], err)
        continue
    sg = json.loads(out)
    st, cout, cerr = run("--sysroot", root, "check", "--device", d["device"], "--qemu", sg["qemu"])
    tap(st == 0, "suggest --device %s: check --device says compatible" % d["device"], cout + cerr)
    # device-iotlb needs the device's own PCI ATS (features.ats with a device).
    if d.get("ats") is False:
        tap("device-iotlb=on" not in sg["qemu"],
            "suggest --device %s: no device-iotlb for a device without ATS" % d["device"],
            sg["qemu"])
st, _, err = run("--sysroot", root, "suggest", "--device", "0000:ff:1f.7")
tap(st == 1 and "0000:ff:1f.7" in err, "suggest --device of a missing device fails (1)", err)

# --migratable keeps only what a migratable guest may use and says what is lost.
root = os.path.join(FX, "x86-q72-k612-c-amd")
st, out, err = run("--sysroot", root, "suggest", "-J", "--migratable")
sg = json.loads(out) if st == 0 else {}
tap(sg.get("model") == "virtio-iommu-pci" and
    any(x["option"] == "amd-iommu" for x in sg.get("lost_for_migration", [])),
    "--migratable on AMD-Vi: amd-iommu is unmigratable in QEMU, virtio-iommu instead", out + err)
root = os.path.join(FX, "x86-q72-k612-b3-intel-sm-devtlb")
st, out, err = run("--sysroot", root, "suggest", "-J", "--migratable")
sg = json.loads(out) if st == 0 else {}
tap("device-iotlb" not in sg.get("qemu", "device-iotlb") and
    any(x["option"] == "device-iotlb" for x in sg.get("lost_for_migration", [])),
    "--migratable on VT-d with device TLBs: device-iotlb is left out and listed as lost",
    out + err)

# Usage errors.
st, _, err = run("--sysroot", root, "suggest", "--model", "bogus")
tap(st == 64 and "model" in err, "suggest --model=bogus is a usage error (64)", err)
st, _, err = run("--sysroot", root, "suggest", "--qemu", "-J")
tap(st == 64, "suggest --qemu -J is a usage error (64)", err)
sys.exit(tap.done())
