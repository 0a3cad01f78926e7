#!/usr/bin/python3
# QEMU 11.1 as the judge of `iommuctl check --qemu` (TAP). For each option set below, Debian's
# QEMU 11.1 (tests/deps/fetch's qemu-trixie: qemu11-system-x86_64 -M q35, qemu11-system-aarch64
# -M virt, under TCG, guest stopped with -S) either realises the device (the monitor's "quit"
# ends it with exit 0) or refuses it with one error line; `iommuctl check --print-requirement
# --qemu MODEL,OPTS` must say the same: accepted (exit 0), or invalid (exit 65) with QEMU's own
# message. No host device is involved, so QEMU's host checks (vtd_check_hiod() and the like) do
# not run here: this judges the configuration rules only. The expectations are QEMU's verdicts,
# read at run time; nothing here writes one down.
#
# What this judge cannot decide is listed in ONLY_ELSEWHERE (and in docs/qemu-judge.md): a case
# there must get exactly that message from QEMU and be accepted by iommuctl.
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
wrapper = shlex.split(os.environ.get("IOMMUCTL_WRAPPER", ""))
fetch = os.path.join(srcdir, "tests", "deps", "fetch")

deps = subprocess.run([fetch, "--print-dir"], capture_output=True, text=True).stdout.strip()
QEMU = {
    "x86": os.path.join(deps, "bin", "qemu11-system-x86_64"),
    "arm": os.path.join(deps, "bin", "qemu11-system-aarch64"),
}
missing = [p for p in QEMU.values() if not os.access(p, os.X_OK)]
if missing:
    print(f"1..0 # SKIP QEMU 11.1 is not fetched ({', '.join(os.path.basename(p) for p in missing)}"
          " missing: run tests/deps/fetch)")
    sys.exit(0)

# Option sets: both directions of every configuration rule the importer knows, the property
# names of QEMU 10.x that 11.1 dropped, and value syntax.
INTEL = [
    "", "aw-bits=39", "aw-bits=48", "aw-bits=52", "aw-bits=0x30", "aw-bits=060", "aw-bits=abc", "aw-bits=48bits", "aw-bits", "aw-bits=-1",
    "aw-bits=256", "scalable-mode=on", "scalable-mode=on,aw-bits=39", "scalable-mode=on,aw-bits=57",
    "fsts=on", "scalable-mode=on,fsts=on", "scalable-mode=on,fsts=on,aw-bits=39",
    "scalable-mode=on,fsts=on,fs1gp=off", "fsts=maybe", "fsts", "scalable-mode=yes,fsts=true",
    "pasid-bits=20", "scalable-mode=on,pasid-bits=20", "scalable-mode=on,pasid-bits=21",
    "scalable-mode=on,pasid-bits=0", "svm=on", "svm=on,device-iotlb=on",
    "svm=on,device-iotlb=on,scalable-mode=on,fsts=on",
    "svm=on,device-iotlb=on,scalable-mode=on,fsts=on,pasid-bits=20",
    "svm=on,device-iotlb=on,scalable-mode=on,fsts=on,pasid-bits=20,dma-translation=off",
    "eim=on", "eim=on,intremap=off", "eim=off,intremap=off", "intremap=on,caching-mode=on",
    "device-iotlb=on,snoop-control=on,stale-tm=on,version=3",
    # QEMU 10.x names, gone in 11.1
    "x-scalable-mode=on", "x-flts=on", "x-pasid-mode=on", "pasid=20", "dma-drain=off",
    "x-buggy-eim=on", "pt=on", "addr=3", "no-such=1", "caching-mode=maybe", "id=vtd0",
]
AMD = ["", "device-iotlb=on", "xtsup=on", "dma-remap=on", "intremap=on", "intremap=off",
       "dma-translation=off", "pt=on", "numint2k=on", "xtsup=maybe", "addr=3"]
VIRTIO = ["", "aw-bits=32", "aw-bits=64", "aw-bits=31", "aw-bits=65", "aw-bits=256",
          "granule=4k", "granule=64k", "granule=host", "granule=2k", "boot-bypass=off",
          "ats=on", "addr=4", "no-such=1"]
SMMU = ["", "oas=44", "oas=48", "oas=40", "oas=auto", "ssidsize=0", "ssidsize=5", "ssidsize=auto",
        "ssidsize=21", "ril=on", "ril=off", "ril=auto", "ats=on", "ats=off", "ats=auto",
        "cmdqv=on", "cmdqv=off", "accel=off", "accel=maybe", "stage=2", "stage=nested",
        "accel=on", "accel=on,oas=48,ssidsize=20,ril=off,ats=on",
        "no-such=1"]

# Every property QEMU 11.1 lists for the device (`-device MODEL,help`, read here at run time),
# set to its default (a switch that has none to "on"), so a name the importer lacks, or one it
# accepts that QEMU dropped, shows; links and children (wiring to other objects) are left out.
def listed_properties(arch, model):
    p = subprocess.run([QEMU[arch], "-M", "q35" if arch == "x86" else "virt", "-device",
                        model + ",help"], capture_output=True, text=True, timeout=60)
    out = []
    for line in p.stdout.splitlines()[1:]:
        m = re.match(r"\s+([A-Za-z0-9_.-]+)=<([^>]+)>(?:.*\(default: ([^)]*)\))?", line)
        if not m or m.group(2).startswith(("link<", "child<")):
            continue
        name, typ, dflt = m.groups()
        # A string names another object or a file (pci-id, romfile, failover_pair_id, addr's
        # slot) and a list is written as JSON: neither has a value to set here.
        if typ in ("str", "list"):
            continue
        if dflt is None:
            dflt = {"bool": "on", "OnOffAuto": "auto"}.get(typ, "0")
        out.append(f"{name}={dflt}")
        if typ in ("bool", "OnOffAuto"):  # the value's type is checked too
            out.append(f"{name}=maybe")
    return out


LISTED = {(a, m): listed_properties(a, m) for a, m in
          (("x86", "intel-iommu"), ("x86", "amd-iommu"), ("x86", "virtio-iommu-pci"),
           ("arm", "arm-smmuv3"))}
# Names QEMU 11.1 no longer has (virtio-pci's of older QEMU among them).
GONE_VIRTIO = ["ioeventfd=on", "vectors=2", "x-pcie-extcap-init=on", "migrate-extra=on",
               "x-disable-pcie=on", "x-ignore-backend-features=on", "len-reserved-regions=0",
               "x-pcie-deverr-init=on", "x-pcie-lnkctl-init=on", "x-pcie-pm-init=on"]

CASES = ([(a, m, o) for (a, m), opts in LISTED.items() for o in opts] +
         [("x86", "virtio-iommu-pci", o) for o in GONE_VIRTIO] +
         [("x86", "intel-iommu", o) for o in INTEL] + [("x86", "amd-iommu", o) for o in AMD] +
         [("x86", "virtio-iommu-pci", o) for o in VIRTIO] +
         [("arm", "arm-smmuv3", o) for o in SMMU])

# What QEMU under TCG without a host device refuses for a reason iommuctl leaves to the machine
# it runs on: (model, condition) -> QEMU's exact message.
ONLY_ELSEWHERE = {
    # smmuv3_accel_init() needs KVM's irqchip; the product runs QEMU with KVM on the host whose
    # SMMUv3 it checks, so accel=on is judged there (issue 15's nested judge), not here.
    # Its check comes before the other accel=on rules, so an option set with accel=on that
    # iommuctl refuses for another reason cannot be judged here: the matrix has none.
    ("arm-smmuv3", "accel=on"): "SMMUv3 accel=on requires KVM with kernel-irqchip=on support",
}


def device_arg(model, opts):
    extra = "primary-bus=pcie.0" if model == "arm-smmuv3" else ""  # machine wiring, not the vIOMMU
    return ",".join(x for x in (model, extra, opts) if x), ",".join(x for x in (model, opts) if x)


def run_qemu(arch, dev):
    argv = [QEMU[arch], "-M", "q35" if arch == "x86" else "virt", "-accel", "tcg", "-nodefaults",
            "-S", "-display", "none", "-monitor", "stdio", "-device", dev]
    p = subprocess.run(argv, input="quit\n", capture_output=True, text=True, timeout=60)
    prefix = f"{'qemu-system-x86_64' if arch == 'x86' else 'qemu-system-aarch64'}: -device {dev}: "
    errs = [ln[len(prefix):] for ln in p.stderr.splitlines()
            if ln.startswith(prefix) and not ln[len(prefix):].startswith("warning: ")]
    return p.returncode, (errs[-1] if errs else p.stderr.strip())


def run_ours(arg):
    p = subprocess.run(wrapper + [iommuctl, "check", "--print-requirement", "--qemu", arg],
                       capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


def judge(case):
    arch, model, opts = case
    qdev, ours_arg = device_arg(model, opts)
    return case, run_qemu(arch, qdev), run_ours(ours_arg)


n = 0
failed = 0
print(f"1..{len(CASES)}")
with ThreadPoolExecutor(max_workers=2) as pool:
    for (arch, model, opts), (qrc, qmsg), (orc, omsg) in pool.map(judge, CASES):
        n += 1
        what = f"{model},{opts}" if opts else model
        ours_prefix = f"iommuctl: invalid requirement (--qemu): {model}: "
        omsg1 = omsg[len(ours_prefix):] if omsg.startswith(ours_prefix) else omsg
        known = next((m for (mo, cond), m in ONLY_ELSEWHERE.items()
                      if mo == model and cond in opts.split(",")), None)
        if qrc == 0:
            ok = orc == 0
            verdict = "QEMU realises it"
        elif known is not None and qmsg == known:
            ok = orc == 0
            verdict = f"QEMU under TCG: {qmsg} (decided only with KVM; iommuctl must accept)"
        else:
            ok = orc == 65 and omsg1 == qmsg
            verdict = f"QEMU refuses it: {qmsg}"
        print(("ok" if ok else "not ok") + f" {n} - {what}: {verdict}")
        if not ok:
            failed += 1
            print(f"# QEMU 11.1: exit {qrc}: {qmsg}")
            print(f"# iommuctl:  exit {orc}: {omsg}")
sys.exit(1 if failed else 0)
