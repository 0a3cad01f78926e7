#!/usr/bin/env python3
"""Real-kernel tests: Debian kernels under QEMU (TCG) with emulated IOMMUs (tests/vm/README.md).

    tests/vm/check-vm.py [--jobs N] [--keep-logs DIR] [--capture DIR] [--no-judge] [CONFIG...]
    tests/vm/check-vm.py CONFIG --judge DEVICE-OPTIONS...   (tests/vm/qemu-judge)

Reads tests/vm/configs.ini, fetches the kernels (tests/deps/fetch vm), builds one initramfs per
architecture, boots every configuration (or the ones named), and asserts the guest's output
against the expectations of the configuration. Prints TAP. Serial logs of failed boots are kept
in --keep-logs (default: tests/vm/logs under the build directory).
"""

import argparse
import base64
import configparser
import concurrent.futures
import io
import json
import lzma
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

SRCDIR = os.path.abspath(os.environ.get("srcdir") or os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.path.abspath(os.environ.get("builddir") or ".")
IOMMUCTL = os.environ.get("IOMMUCTL") or os.path.join(BUILDDIR, "cli", "iommuctl")
DAEMON = os.environ.get("DAEMON") or os.path.join(BUILDDIR, "daemon", "iommu-capd")
HWINFO_CAPTURE = os.path.join(BUILDDIR, "tests", "hwinfo-capture")
BOOT_TIMEOUT = int(os.environ.get("VM_BOOT_TIMEOUT", "600"))
PACKAGES = "qemu-system-x86 qemu-system-arm qemu-efi-aarch64 busybox-static cpio file"
# firmware = uefi (arm64): Debian's AAVMF (qemu-efi-aarch64) boots the kernel, which then reads
# QEMU's ACPI tables (acpi=force), the IORT among them, instead of the device tree.
AAVMF = "/usr/share/AAVMF/AAVMF_CODE.fd"

KERNEL_DIR = {"bookworm": "bookworm", "bookworm-backports": "bookworm-backports"}
# kernel = iommufd: the kernel tests/vm/kernel/build makes (tests/deps/fetch iommufd), its image
# in vm/kernel-iommufd-ARCH/image, everything built in.
IOMMUFD_KERNEL = "iommufd"
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def log(msg):
    print("# " + msg, flush=True)


def die(msg):
    print("Bail out! " + msg, flush=True)
    sys.exit(1)


def ensure_tools():
    need = {"qemu-system-x86_64": "qemu-system-x86", "qemu-system-aarch64": "qemu-system-arm",
            "cpio": "cpio", "file": "file"}
    missing = [p for c, p in need.items() if shutil.which(c) is None]
    if not os.path.exists(AAVMF):
        missing.append("qemu-efi-aarch64")
    if not os.path.exists("/bin/busybox") or shutil.which("file") is None or \
            b"statically linked" not in subprocess.run(["file", "-L", "/bin/busybox"],
                                                       capture_output=True).stdout:
        missing.append("busybox-static")
    if not missing:
        return
    if os.geteuid() != 0:
        die("missing %s: apt-get install %s" % (" ".join(missing), PACKAGES))
    log("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + PACKAGES.split(),
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        die("apt-get install %s failed: %s" % (PACKAGES, r.stderr.strip().splitlines()[-1:]))


def fetch_kernels(sets):
    for what in sets:
        r = subprocess.run([os.path.join(SRCDIR, "tests", "deps", "fetch"), what], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            log(line)
        if r.returncode != 0:
            die("tests/deps/fetch %s: %s" % (what, (r.stderr.strip().splitlines() or ["failed"])[-1]))
    d = subprocess.run([os.path.join(SRCDIR, "tests", "deps", "fetch"), "--print-dir"],
                       capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(d, "vm")


def real_binary(path):
    """A libtool wrapper script has the real program in .libs/."""
    with open(path, "rb") as f:
        if f.read(4) == b"\x7fELF":
            return path
    alt = os.path.join(os.path.dirname(path), ".libs", os.path.basename(path))
    if os.path.exists(alt):
        return alt
    die("%s is neither an ELF program nor a libtool wrapper" % path)


def loader_libs(binary):
    """The interpreter and the shared libraries of BINARY, as the loader resolves them."""
    out = subprocess.run(["readelf", "-l", binary], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requesting program interpreter: (\S+)\]", out)
    if not m:
        die("%s has no program interpreter" % binary)
    interp = m.group(1)
    r = subprocess.run([interp, "--list", binary], capture_output=True, text=True)
    if r.returncode != 0 or "not found" in r.stdout:
        die("the loader cannot resolve %s: %s" % (binary, (r.stdout + r.stderr).strip()))
    libs = [interp]
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\S+ => (/\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            libs.append(m.group(1))
    return libs


def module_index(kdir):
    idx = {}
    for root, _, files in os.walk(os.path.join(kdir, "lib")):
        for f in files:
            m = re.match(r"(.*)\.ko(\.xz)?$", f)
            if m:
                idx[m.group(1).replace("-", "_")] = os.path.join(root, f)
    return idx


def module_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def module_order(kdir, names):
    """NAMES with their dependencies (from each module's depends=), dependencies first."""
    idx = module_index(kdir)
    order = []

    def visit(name):
        key = name.replace("-", "_")
        if key in order:
            return
        if key not in idx:
            die("module %s is not in %s" % (name, kdir))
        m = re.search(rb"\0depends=([^\0]*)\0", module_bytes(idx[key]))
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            visit(dep)
        order.append(key)

    for n in names:
        visit(n)
    return order, idx


def cross_helper(out):
    """tests/hwinfo-capture for arm64, static, from lib/ (the parts it links need only libc)."""
    cc = "aarch64-linux-gnu-gcc"
    if shutil.which(cc) is None:
        die("%s is missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" % cc)
    work = tempfile.mkdtemp(prefix="cross-", dir=os.path.dirname(out))
    try:
        inc = os.path.join(work, "inc")  # jansson's headers only (types in iommucap.h)
        os.makedirs(inc)
        for h in ("jansson.h", "jansson_config.h"):
            os.symlink(os.path.join("/usr/include", h), os.path.join(inc, h))
        flags = ["-O2", "-std=gnu11", "-ffunction-sections", "-fdata-sections", "-I" + inc,
                 "-I" + BUILDDIR, "-I" + os.path.join(SRCDIR, "lib"), "-include", os.path.join(BUILDDIR, "config.h")]
        srcs = [os.path.join(SRCDIR, "tests", "hwinfo-capture.c")]
        for f in sorted(os.listdir(os.path.join(SRCDIR, "lib"))):
            p = os.path.join(SRCDIR, "lib", f)
            if f.endswith(".c") and b"libxml" not in open(p, "rb").read():  # <libxml/...> or libxml-dl.h
                srcs.append(p)
        objs = []
        for src in srcs:
            o = os.path.join(work, os.path.basename(src) + ".o")
            r = subprocess.run([cc] + flags + ["-c", src, "-o", o], capture_output=True, text=True)
            if r.returncode != 0:
                die("cross-compiling %s: %s" % (src, r.stderr.strip().splitlines()[-1:]))
            objs.append(o)
        r = subprocess.run([cc, "-static", "-Wl,--gc-sections", "-o", out] + objs, capture_output=True, text=True)
        if r.returncode != 0:
            die("linking the arm64 hwinfo-capture: %s" % r.stderr.strip().splitlines()[-1:])
    finally:
        shutil.rmtree(work)


CROSS_LOCK = threading.Lock()
CROSS_BUILT = {}


def cross_build(vmdir):
    """iommuctl and iommu-capd for arm64 (once a run, whichever guest asks first)."""
    with CROSS_LOCK:
        if not CROSS_BUILT:
            CROSS_BUILT.update(cross_build_once(vmdir))
        return dict(CROSS_BUILT)


def cross_build_once(vmdir):
    """iommuctl and iommu-capd for arm64: configure --host=aarch64-linux-gnu against the
    bookworm arm64 libraries tests/deps/fetch unpacked in vm/sysroot-arm64 (no foreign
    architecture in dpkg), in BUILDDIR/tests/vm/build-arm64, incrementally (make)."""
    sysroot = os.path.join(vmdir, "sysroot-arm64")
    bdir = os.path.join(BUILDDIR, "tests", "vm", "build-arm64")
    lib = os.path.join(sysroot, "usr", "lib", "aarch64-linux-gnu")
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        die("aarch64-linux-gnu-gcc is missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
    os.makedirs(bdir, exist_ok=True)
    if not os.path.exists(os.path.join(bdir, "Makefile")):
        env = dict(os.environ, PKG_CONFIG_LIBDIR=os.path.join(lib, "pkgconfig") + ":" +
                   os.path.join(sysroot, "usr", "share", "pkgconfig"), PKG_CONFIG_SYSROOT_DIR=sysroot)
        r = subprocess.run([os.path.join(SRCDIR, "configure"), "-q", "--host=aarch64-linux-gnu",
                            "CPPFLAGS=-I" + os.path.join(sysroot, "usr", "include"),
                            "LDFLAGS=-Wl,-rpath-link,%s -Wl,-rpath-link,%s" % (lib, os.path.join(sysroot, "lib", "aarch64-linux-gnu"))],
                           cwd=bdir, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(bdir, ignore_errors=True)
            die("configure --host=aarch64-linux-gnu failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
    t0 = time.monotonic()
    r = subprocess.run(["make", "-j%d" % (os.cpu_count() or 1), "daemon/io-iommucapd-idl.h",
                        "cli/iommuctl", "daemon/iommu-capd"], cwd=bdir, capture_output=True, text=True)
    if r.returncode != 0:
        die("cross-building for arm64 failed: %s" % "; ".join(r.stderr.strip().splitlines()[-3:]))
    log("arm64 cross build (make in %s): %.1f s" % (os.path.relpath(bdir, BUILDDIR), time.monotonic() - t0))
    return {"usr/bin/iommuctl": real_binary(os.path.join(bdir, "cli", "iommuctl")),
            "usr/sbin/iommu-capd": real_binary(os.path.join(bdir, "daemon", "iommu-capd"))}


def foreign_libs(binary, vmdir):
    """An arm64 program's interpreter and shared libraries, found as its loader would (the
    DT_NEEDED names, recursively) in the cross C library and vm/sysroot-arm64: (source, path
    in the guest) pairs. The guest's loader looks in /lib/aarch64-linux-gnu."""
    sysroot = os.path.join(vmdir, "sysroot-arm64")
    dirs = ["/usr/aarch64-linux-gnu/lib", os.path.join(sysroot, "lib", "aarch64-linux-gnu"),
            os.path.join(sysroot, "usr", "lib", "aarch64-linux-gnu")]
    out = subprocess.run(["readelf", "-l", binary], capture_output=True, text=True, check=True).stdout
    interp = re.search(r"Requesting program interpreter: (\S+)\]", out).group(1)
    pairs = [(os.path.join(dirs[0], os.path.basename(interp)), interp)]
    todo, seen = [binary], set()
    while todo:
        f = todo.pop()
        dyn = subprocess.run(["readelf", "-d", f], capture_output=True, text=True, check=True).stdout
        for name in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn):
            if name in seen:
                continue
            seen.add(name)
            found = [os.path.join(d, name) for d in dirs if os.path.exists(os.path.join(d, name))]
            if not found:
                die("%s needs %s, which is in none of %s" % (os.path.basename(f), name, " ".join(dirs)))
            pairs.append((found[0], "/lib/aarch64-linux-gnu/" + name))
            todo.append(found[0])
    return pairs


def add_qemu11(root, vmdir, arch):
    """QEMU 11.1's qemu-system-x86_64 with trixie's loader and libraries and seabios, under
    /opt/qemu11/usr (the layout tests/deps/fetch unpacked), for the nested judge; on arm64 its
    arm64 qemu-system-aarch64 with the loader and the libraries it links (vm/qemu-trixie-arm64,
    no firmware: the nested virt machine stays stopped)."""
    dst = os.path.join(root, "opt", "qemu11", "usr")
    if arch != "x86_64":
        shutil.copytree(os.path.join(vmdir, "qemu-trixie-arm64", "usr"), dst, symlinks=True)
        return
    src = os.path.join(os.path.dirname(vmdir), "qemu-trixie", "usr")
    os.makedirs(os.path.join(dst, "bin"))
    shutil.copy(os.path.join(src, "bin", "qemu-system-x86_64"), os.path.join(dst, "bin"))
    shutil.copytree(os.path.join(src, "lib", "x86_64-linux-gnu"), os.path.join(dst, "lib", "x86_64-linux-gnu"),
                    symlinks=True)
    shutil.copytree(os.path.join(src, "share", "seabios"), os.path.join(dst, "share", "seabios"))


def build_initramfs(arch, kdir, modules, vmdir, out, guest_binaries, judge=None):
    """A gzip'd newc cpio: busybox, /init, capture-sysfs, modules, and our programs; with
    judge (option sets), QEMU 11.1 and /judge.txt for the nested judge."""
    root = tempfile.mkdtemp(prefix="irfs-", dir=os.path.dirname(out))
    try:
        if judge:
            add_qemu11(root, vmdir, arch)
            with open(os.path.join(root, "judge.txt"), "w") as f:
                f.write("".join(o + "\n" for o in judge))
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "modules"))
        bb = "/bin/busybox" if arch == "x86_64" else os.path.join(vmdir, "busybox-arm64")
        shutil.copy(bb, os.path.join(root, "bin", "busybox"))
        shutil.copy(os.path.join(SRCDIR, "tests", "vm", "init"), os.path.join(root, "init"))
        shutil.copy(os.path.join(SRCDIR, "tests", "capture-sysfs"), os.path.join(root, "bin", "capture-sysfs"))
        for p in ("init", "bin/busybox", "bin/capture-sysfs"):
            os.chmod(os.path.join(root, p), 0o755)
        order, idx = module_order(kdir, modules)
        for m in order:
            with open(os.path.join(root, "modules", m + ".ko"), "wb") as f:
                f.write(module_bytes(idx[m]))
        # The iommufd hw_info helper tests/capture-sysfs runs (next to it, in /bin).
        helper = os.path.join(root, "bin", "hwinfo-capture")
        if arch == "x86_64":
            shutil.copy(real_binary(HWINFO_CAPTURE), helper)
            binaries = [helper]
        else:
            cross_helper(helper)
            binaries = []
        if guest_binaries:
            progs = ({"usr/bin/iommuctl": real_binary(IOMMUCTL), "usr/sbin/iommu-capd": real_binary(DAEMON)}
                     if arch == "x86_64" else cross_build(vmdir))
            for dst, b in progs.items():
                binaries.append(os.path.join(root, dst))
                os.makedirs(os.path.dirname(os.path.join(root, dst)), exist_ok=True)
                shutil.copy(b, os.path.join(root, dst))
        for b in binaries:
            pairs = [(lib, lib) for lib in loader_libs(b)] if arch == "x86_64" else foreign_libs(b, vmdir)
            for lib, dst in pairs:
                t = os.path.join(root, dst.lstrip("/"))
                if not os.path.exists(t):
                    os.makedirs(os.path.dirname(t), exist_ok=True)
                    shutil.copy(lib, t)  # follows the links: the file the loader loads
        files = subprocess.run("find . -mindepth 1 | LC_ALL=C sort", shell=True, cwd=root,
                               capture_output=True, check=True).stdout
        with open(out, "wb") as f:
            cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=root,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            gz = subprocess.Popen(["gzip", "-1", "-n"], stdin=cpio.stdout, stdout=f)
            cpio.stdout.close()
            cpio.stdin.write(files)
            cpio.stdin.close()
            if cpio.wait() != 0 or gz.wait() != 0:
                die("cannot build " + out)
        return order
    finally:
        shutil.rmtree(root)


def split_args(s):
    return s.split() if s else []


def split_lines(s):
    return [l.strip() for l in s.splitlines() if l.strip()] if s else []


def kernel_image(kdir):
    return os.path.join(kdir, "image" if os.path.basename(kdir).startswith("kernel-iommufd-") else "vmlinuz")


def qemu_binary(cfg, vmdir, name):
    """The host's QEMU (bookworm: 7.2), or with qemu = trixie-backports the unpacked QEMU 11.1."""
    if cfg.get("qemu", "host") == "host":
        return name
    if cfg["qemu"] != "trixie-backports":
        die("qemu = %s: only host or trixie-backports" % cfg["qemu"])
    return os.path.join(os.path.dirname(vmdir), "bin", "qemu11-" + name[len("qemu-"):])


def qemu_command(cfg, common, kdir, initrd, modules, vmdir, monitor=False, memory="1024"):
    """The guest's QEMU command line; with monitor, the same machine and devices without a
    kernel, stopped (-S), its monitor on stdio."""
    arch = cfg["arch"]
    append = ["panic=-1", "vmtest.check=" + cfg.get("check_qemu", common["check_qemu"])]
    if cfg.get("vfio"):
        append.append("vmtest.vfio=" + cfg["vfio"])
    if modules:
        append.append("vmtest.modules=" + ",".join(modules))
    append += split_args(cfg.get("append", ""))
    if arch == "x86_64":
        cmd = [qemu_binary(cfg, vmdir, "qemu-system-x86_64"), "-machine", cfg["machine"], "-cpu", "max"]
        # no_timer_check: under TCG on a loaded machine the IO-APIC timer test of check_timer()
        # can miss its window and panic ("timer doesn't work through Interrupt-remapped
        # IO-APIC", seen with intel-iommu's interrupt remapping); it tests the (emulated)
        # board, not anything these tests check.
        append[:0] = ["console=ttyS0", "no_timer_check"]
        devices = common["x86_devices"]
    else:
        cmd = [qemu_binary(cfg, vmdir, "qemu-system-aarch64"), "-machine", cfg["machine"],
               "-cpu", "max,pauth-impdef=on"]
        append.insert(0, "console=ttyAMA0")
        devices = common["arm_devices"]
        if cfg.get("firmware") == "uefi":
            cmd += ["-bios", AAVMF]
            append.append("acpi=force")
    # TCG only: a /dev/kvm node may exist and not work, and the expectations are QEMU's models.
    if monitor:
        cmd += ["-accel", "tcg", "-S", "-display", "none", "-nodefaults", "-serial", "none",
                "-monitor", "stdio", "-m", "1024"]
    else:
        cmd += ["-accel", "tcg", "-nographic", "-nodefaults", "-serial", "stdio", "-no-reboot",
                "-m", memory, "-smp", "1", "-kernel", kernel_image(kdir), "-initrd", initrd,
                "-append", " ".join(append)]
    cmd += split_args(cfg.get("iommu", "")) + split_args(devices)
    if cfg.get("qemu", "host") != "host":
        # The unpacked QEMU keeps only seabios, no NIC option ROMs; -kernel boots need none.
        cmd += ["-global", "e1000e.romfile=", "-global", "virtio-net-pci.romfile="]
    return cmd


# Where QEMU maps the registers IOMMU_GET_HW_INFO returns, per model: (name, address, bytes).
# intel-iommu at Q35_HOST_BRIDGE_IOMMU_ADDR 0xfed90000 with DMAR_CAP_REG 0x8 and DMAR_ECAP_REG
# 0x10 (include/hw/i386/intel_iommu.h, hw/i386/intel_iommu_internal.h); amd-iommu at
# AMDVI_BASE_ADDR 0xfed80000 with AMDVI_MMIO_EXT_FEATURES 0x30 and AMDVI_MMIO_EXT_FEATURES2
# 0x1a0 (hw/i386/amd_iommu.h); an SMMUv3 at its unit's address (the name smmu3.0xADDR) with
# IDR0..5 at 0x0..0x14, IIDR 0x18, AIDR 0x1c (hw/arm/smmuv3-internal.h).
def qemu_register_map(model, unit):
    if model == "intel-vtd":
        return [("cap", 0xFED90008, 8), ("ecap", 0xFED90010, 8)]
    if model == "amd-vi":
        return [("efr", 0xFED80030, 8), ("efr2", 0xFED801A0, 8)]
    m = re.match(r"smmu3\.0x([0-9a-f]+)$", unit)
    if model == "arm-smmu-v3" and m:
        base = int(m.group(1), 16)
        names = ["idr%d" % i for i in range(6)] + ["iidr", "aidr"]
        return [(n, base + 4 * i, 4) for i, n in enumerate(names)]
    return []


def qemu_registers(cfg, common, vmdir, regs):
    """QEMU's own values of REGS: the same machine and devices, stopped before any guest code
    (-S), read through the monitor's xp (a physical read that goes to the device's MMIO
    handler). The witness for the registers the guest's kernel hands to iommufd."""
    cmd = qemu_command(cfg, common, None, None, [], vmdir, monitor=True)
    script = "".join("xp /1%sx 0x%x\n" % ("g" if size == 8 else "w", addr) for _, addr, size in regs)
    try:
        p = subprocess.run(cmd, input=script + "quit\n", capture_output=True, text=True, timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {}, "the monitor did not answer in %d s" % BOOT_TIMEOUT
    got = {int(a, 16): int(v, 16) for a, v in re.findall(r"\b([0-9a-f]{8,16}): (0x[0-9a-f]+)", p.stdout)}
    out = {name: got[addr] for name, addr, _ in regs if addr in got}
    return out, "" if len(out) == len(regs) else "exit %s: %s" % (p.returncode, (p.stderr or p.stdout)[-300:])


# The guest kernel's own report of the registers, in its boot log: intel-iommu's alloc_iommu()
# (drivers/iommu/intel/dmar.c) prints "dmarN: reg_base_addr ... cap X ecap Y"; amd_iommu's
# print_iommu_info() (drivers/iommu/amd/init.c) prints "Extended features (EFR, EFR2):", the
# global values amd_iommufd_hw_info() returns.
def boot_log_registers(model, unit, serial):
    if model == "intel-vtd":
        m = re.search(r"DMAR: %s: reg_base_addr \S+ ver \S+ cap ([0-9a-f]+) ecap ([0-9a-f]+)" % re.escape(unit), serial)
        return {"cap": int(m.group(1), 16), "ecap": int(m.group(2), 16)} if m else None
    if model == "amd-vi":
        m = re.search(r"AMD-Vi: Extended features \((0x[0-9a-f]+), (0x[0-9a-f]+)\)", serial)
        return {"efr": int(m.group(1), 16), "efr2": int(m.group(2), 16)} if m else None
    return None


# An SMMUv3's decode as its driver printed it (arm_smmu_device_hw_probe(), Linux 7.3:
# "oas N-bit (features 0xF)", ARM_SMMU_FEAT_* of arm-smmu-v3.h): the capabilities the kernel
# derives from the same IDRs, to compare with ours.
SMMU_FEATURES = {"ats": 1 << 5, "coherent": 1 << 8, "nesting": 1 << 19}


def boot_log_smmuv3(unit, serial):
    m = re.match(r"smmu3\.0x0*([0-9a-f]+)$", unit)
    m = m and re.search(r"arm-smmu-v3 (?:arm-smmu-v3\.\d+\.auto|%s\.\w+): (?:ias \d+-bit, )?oas (\d+)-bit \(features (0x[0-9a-f]+)\)"
                        % m.group(1), serial)
    if not m:
        return None
    feats = int(m.group(2), 16)
    caps = {k: bool(feats & bit) for k, bit in SMMU_FEATURES.items()}
    caps["output_bits"] = int(m.group(1))
    return caps


def sections(text):
    text = text.replace("\r\n", "\n").replace("\r", "")
    out = {}
    for m in re.finditer(r"@@VM BEGIN (\S+)@@\n(.*?)\n?@@VM END rc=(\d+)@@", text, re.S):
        out[m.group(1)] = (int(m.group(3)), m.group(2))
    return out


def host_run(tree, check_qemu):
    """For guests that cannot run our programs: the same steps on the host, over the tree."""
    res = {}
    r = subprocess.run([IOMMUCTL, "--sysroot", tree, "dump"], capture_output=True, text=True)
    res["offline-dump"] = (r.returncode, r.stdout)
    sock = os.path.join(os.path.dirname(tree), "capd.sock")
    d = subprocess.Popen([DAEMON, "--sysroot", tree, "--listen", "unix:" + sock],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    addr = ["--address", "unix:" + sock]
    for name, args in (("show", ["show"]), ("show-json", ["show", "-J"]),
                       ("check-json", ["check", "-J", "--qemu=" + check_qemu])):
        r = subprocess.run([IOMMUCTL] + addr + args, capture_output=True, text=True)
        res[name] = (r.returncode, r.stdout + r.stderr)
    d.send_signal(signal.SIGTERM)
    _, err = d.communicate(timeout=10)
    res["daemon-stderr"] = (d.returncode, err.decode(errors="replace"))
    return res


def pci_has_ats(tree, address):
    """Walk the PCI Express extended capabilities of ADDRESS's captured config for ATS (0x000f)."""
    if tree is None:
        return None
    p = os.path.join(tree, "sys", "bus", "pci", "devices", address, "config")
    try:
        cfg = open(p, "rb").read()
    except OSError:
        return None
    if len(cfg) < 4096:
        return None
    off, seen = 0x100, 0
    while off and seen < 64:
        hdr = int.from_bytes(cfg[off:off + 4], "little")
        if hdr & 0xFFFF == 0x000F:
            return True
        off = (hdr >> 20) & 0xFFC
        seen += 1
    return False


def jbool(s):
    return {"true": True, "false": False, "null": None}.get(s, s)


def expectations(cfg):
    return {k[len("expect."):]: v for k, v in cfg.items() if k.startswith("expect.")}


def assert_config(name, exp, res, tree):
    """A list of (description, ok, detail)."""
    results = []

    def check(desc, ok, detail=""):
        results.append((desc, bool(ok), detail))

    rc, dump_text = res.get("offline-dump", (None, ""))
    try:
        dump = json.loads(dump_text)
    except ValueError:
        check("offline dump is JSON", False, "rc %s: %s" % (rc, dump_text[:300]))
        return results
    check("iommuctl --offline dump exits 0", rc == 0, "rc %s" % rc)
    units = dump.get("units", [])
    names = [u["name"] for u in units]
    check("unit names", names == exp["units"].split(), "got %s" % names)
    for u in units:
        check("%s: model" % u["name"], u["model"] == exp["model"], "got %s" % u["model"])
        caps = u.get("capabilities")
        if exp.get("capabilities") == "null":
            check("%s: capabilities unknown (null)" % u["name"], caps is None, "got %s" % caps)
            continue
        for key in ("ssid_bits", "input_bits", "output_bits", "asid_bits", "caching_mode",
                    "scalable_mode", "ats", "pri", "nesting", "coherent", "httu", "dirty_tracking"):
            want = exp.get(key, "-")
            if want == "-":
                continue
            want = int(want) if want.isdigit() else jbool(want)
            got = (caps or {}).get(key)
            check("%s: %s = %s" % (u["name"], key, json.dumps(want)), got == want, "got %s" % json.dumps(got))
        firmware_checks(check, exp, u, res.get("serial", ""), dump.get("warnings", []))
        if "unit_devices" in exp:
            check("%s: devices behind the unit" % u["name"], len(u.get("devices", [])) == int(exp["unit_devices"]),
                  "got %d" % len(u.get("devices", [])))
    if "hw_info_type" in exp:
        check_hw_info(check, exp, dump, res)
    if exp.get("group_types", "-") != "-":
        got = sorted(set(g["type"] for g in dump.get("groups", [])))
        check("group types", got == sorted(exp["group_types"].split()), "got %s" % got)
    devs = dump.get("devices", [])
    check("PCI devices", len(devs) == int(exp["pci_devices"]), "got %d" % len(devs))
    if "ats_device" in exp:
        a = exp["ats_device"]
        d = [x for x in devs if x["address"] == a]
        check("%s: ATS capability in the captured PCI config" % a, pci_has_ats(tree, a) is True,
              "config missing or without ATS" if tree else "no capture")
        got = d and d[0].get("ats")
        got = got.get("supported") if isinstance(got, dict) else got
        check("%s: iommuctl decodes its ATS capability" % a, got is True, "got %s" % json.dumps(got))
    # Through the daemon.
    rc, text = res.get("show-json", (None, ""))
    try:
        show = json.loads(text)
        snames = [u["name"] for u in show["units"]]
        check("daemon: show -J lists the units", snames == exp["units"].split(), "got %s" % snames)
        want = exp.get("ssid_bits", "-")
        if want != "-" and exp.get("capabilities") != "null":
            want = int(want) if want.isdigit() else jbool(want)
            got = [u.get("pasid") for u in show["units"]]
            check("daemon: show -J PASID bits = %s" % json.dumps(want), all(g == want for g in got),
                  "got %s" % got)
    except (ValueError, KeyError, TypeError):
        check("daemon: show -J", False, "rc %s: %s" % (rc, text[:300]))
    rc, text = res.get("show", (None, ""))
    check("daemon: show exits 0 and names the units",
          rc == 0 and all(n in text for n in exp["units"].split()), "rc %s: %s" % (rc, text[:200]))
    rc, text = res.get("check-json", (None, ""))
    try:
        verdict = json.loads(text)["verdict"]
    except (ValueError, KeyError, TypeError):
        verdict = None
    want_rc = {"compatible": 0, "incompatible": 1, "indeterminate": 2}[exp["check"]]
    check("daemon: check verdict %s" % exp["check"], verdict == exp["check"] and rc == want_rc,
          "rc %s verdict %s" % (rc, verdict))
    return results


def firmware_checks(check, exp, u, serial, warnings):
    """The facts the ACPI tables give (expect.firmware: the capabilities sourced "firmware"),
    against what the guest kernel made of the same tables in its boot log."""
    caps = u.get("capabilities") or {}
    for key in exp.get("firmware", "").split():
        got = (caps.get("sources") or {}).get(key)
        check("%s: %s sourced from firmware" % (u["name"], key), got == "firmware", "got %s" % got)
    # parse_dmar_table() (intel/dmar.c) prints the DMAR's Host Address Width + 1.
    m = re.search(r"DMAR: Host address width (\d+)", serial)
    if u["model"] == "intel-vtd" and exp.get("output_bits", "-") != "-":
        check("%s: output_bits = the guest kernel's DMAR host address width (boot log)" % u["name"],
              m is not None and caps.get("output_bits") == int(m.group(1)),
              "kernel %s, ours %s" % (m and m.group(1), caps.get("output_bits")))
    if u["model"] == "arm-smmu-v3" and "coherent" in exp.get("firmware", "").split():
        # Under ACPI the kernel's COHERENCY feature is the IORT's COHACC override, and it warns
        # "IDR0.COHACC overridden by FW configuration" (and from 6.11 the same for IDR0.HTTU)
        # when the registers differ: so do we.
        logged = boot_log_smmuv3(u["name"], serial)
        check("%s: coherent = the guest kernel's (boot log features)" % u["name"],
              logged is not None and logged["coherent"] == caps.get("coherent"),
              "kernel %s, ours %s" % (logged and logged["coherent"], caps.get("coherent")))
        kernel = "overridden by FW configuration" in serial
        ours = any("ACPI IORT overrides" in w for w in warnings)
        check("%s: an IORT override warned by both or neither (kernel %s, ours %s)"
              % (u["name"], kernel, ours), kernel == ours)


def check_hw_info(check, exp, dump, res):
    """iommufd: the device the guest bound to vfio-pci was read, and the unit learned from it."""
    bdf = res.get("vfio", (1, ""))[1].strip()
    check("the guest bound a device to vfio-pci", res.get("vfio", (1, ""))[0] == 0 and bdf,
          "vfio section %s" % (res.get("vfio"),))
    dev = [d for d in dump.get("devices", []) if d["address"] == bdf]
    hw = dev[0].get("iommufd") if dev else None
    check("%s: iommufd hw_info read" % bdf, bool(hw) and hw.get("read") is True, "got %s" % json.dumps(hw))
    check("%s: hw_info data_type %s" % (bdf, exp["hw_info_type"]),
          bool(hw) and hw.get("data_type") == exp["hw_info_type"], "got %s" % json.dumps(hw))
    for u in dump.get("units", []):
        if u["name"] not in exp.get("hw_info_units", exp["units"]).split():
            continue
        check("%s: registers from iommufd through %s" % (u["name"], bdf), u.get("hw_info_from") == bdf,
              "got %s" % u.get("hw_info_from"))
        src = ((u.get("capabilities") or {}).get("sources") or {}).get("ssid_bits")
        check("%s: ssid_bits sourced from iommufd" % u["name"], src == "iommufd", "got %s" % src)
        for pair in exp.get("raw", "").split():
            reg, want = pair.split("=")
            got = (u.get("raw") or {}).get(reg)
            check("%s: raw %s = %s (QEMU's)" % (u["name"], reg, want), got == want, "got %s" % got)
        raw = {k: int(v, 16) for k, v in (u.get("raw") or {}).items() if isinstance(v, str)}
        qregs, why = res.get("qemu-registers", {}).get(u["name"], ({}, "not read"))
        for name, _, _ in qemu_register_map(u["model"], u["name"]):
            want = qregs.get(name)
            check("%s: %s through iommufd = QEMU's register (monitor xp)" % (u["name"], name),
                  want is not None and raw.get(name) == want,
                  "iommufd %s, QEMU %s%s" % (hex(raw[name]) if name in raw else None,
                                             hex(want) if want is not None else None,
                                             "" if want is not None else " (%s)" % why))
        if u["model"] == "arm-smmu-v3":
            logged = boot_log_smmuv3(u["name"], res.get("serial", ""))
            caps = u.get("capabilities") or {}
            check("%s: output_bits, ats, coherent, nesting = the guest kernel's (boot log)" % u["name"],
                  logged is not None and all(caps.get(k) == v for k, v in logged.items()),
                  "kernel %s, ours %s" % (logged, {k: caps.get(k) for k in (logged or {})}))
        logged = boot_log_registers(u["model"], u["name"], res.get("serial", ""))
        if u["model"] in ("intel-vtd", "amd-vi"):
            check("%s: registers through iommufd = the guest kernel's boot log" % u["name"],
                  logged is not None and all(raw.get(k) == v for k, v in logged.items()),
                  "boot log %s, iommufd %s" % ({k: hex(v) for k, v in (logged or {}).items()},
                                               {k: hex(v) for k, v in raw.items()}))
    bad = [w for w in dump.get("warnings", []) if "in iommufd hw_info" in w]
    check("sysfs and iommufd agree (no warning)", not bad, "; ".join(bad))


def extract_capture(text, dest):
    data = base64.b64decode("".join(text.split()))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        t.extractall(dest)
    return os.path.join(dest, "cap")


def judge_cases(res):
    """The nested judge's cases: (options, {backend: (accepted, QEMU's error)}, iommuctl's
    verdict, its failed and unknown checks)."""
    out = []
    for m in re.finditer(r"@@VM JUDGE (\d+) (.*?)@@", res.get("serial", "")):
        n, opts = m.group(1), m.group(2)
        qemu = {}
        for backend in ("legacy", "iommufd"):
            rc, text = res.get("judge-%s-%s" % (n, backend), (None, ""))
            errs = [l for l in text.strip().splitlines() if l.startswith("qemu-system") and "warning:" not in l]
            qemu[backend] = (rc == 0, " / ".join(errs) or ("exit %s" % rc))
        rc, text = res.get("judge-%s-check" % n, (None, ""))
        try:
            doc = json.loads(text)
            why = ["%s: %s" % (c.get("id"), c.get("message")) for c in doc.get("checks", [])
                   if c.get("result") in ("fail", "unknown")]
            verdict = doc.get("verdict")
        except ValueError:
            verdict, why = None, [text.strip()[:200]]
        out.append((opts, qemu, verdict, why))
    return out


def judge_results(name, cases, known, tcg):
    """One TAP result per case: QEMU 11.1's verdict (both VFIO backends) and iommuctl's agree,
    or QEMU's refusal is exactly one this host cannot tell (known). A case QEMU refuses under
    TCG with exactly one of the tcg errors (an emulation limit, before any host check) has no
    verdict of QEMU's: its line says so, and fails if QEMU says anything else."""
    results = []
    for opts, qemu, verdict, why in cases:
        ok, parts = verdict in ("compatible", "incompatible"), []
        no_verdict = all(not acc and any(t in err for t in tcg) for acc, err in qemu.values())
        for backend, (accepted, err) in qemu.items():
            same = accepted == (verdict == "compatible")
            excused = not same and not accepted and backend in known and known[backend] in err
            ok &= same or excused or no_verdict
            parts.append("%s %s%s" % (backend, "accepted" if accepted else "refused (%s)" % err,
                                      " [host cannot tell]" if excused else ""))
        detail = "QEMU 11.1: %s; iommuctl: %s%s" % ("; ".join(parts), verdict,
                                                    " (%s)" % "; ".join(why) if why else "")
        what = ("no verdict of QEMU's under TCG (an emulation limit), iommuctl's given"
                if no_verdict else "QEMU and iommuctl agree")
        results.append(("judge: %s: %s" % (opts, what), ok, detail))
        log("%s: judge %s: %s%s" % (name, opts, detail, " [QEMU cannot judge under TCG]" if no_verdict else ""))
    return results


def run_config(name, cfg, common, vmdir, work, judge=None, no_judge=False):
    arch = cfg["arch"]
    if cfg["kernel"] == IOMMUFD_KERNEL:
        kdir = os.path.join(vmdir, "kernel-iommufd-%s" % DEB_ARCH[arch])
    else:
        kdir = os.path.join(vmdir, "kernel-%s-%s" % (DEB_ARCH[arch], KERNEL_DIR[cfg["kernel"]]))
    exp = expectations(cfg)
    guest = exp.get("guest_binaries", "yes") == "yes"
    # The judge matrix of the configuration (make check-vm), or --judge's cases.
    if not no_judge:
        judge = judge or [l.strip() for l in re.split(r"[|\n]", cfg.get("judge", "")) if l.strip()] or None
    cdir = os.path.join(work, name)
    shutil.rmtree(cdir, ignore_errors=True)
    os.makedirs(cdir)
    initrd = os.path.join(cdir, "initramfs.cpio.gz")
    order = build_initramfs(arch, kdir, split_args(cfg.get("modules", "")), vmdir, initrd, guest, judge)
    # The nested judge's L2 QEMU (-m 128) and the bigger initramfs need more than 1 GiB.
    cmd = qemu_command(cfg, common, kdir, initrd, order, vmdir, memory="3072" if judge else "1024")
    with open(os.path.join(cdir, "qemu-command.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    qregs = {}
    if "hw_info_type" in exp:
        for unit in exp["units"].split():
            regs = qemu_register_map(exp["model"], unit)
            if regs:
                qregs[unit] = qemu_registers(cfg, common, vmdir, regs)
    # Each judge case starts a nested QEMU twice under TCG on TCG: seen taking minutes each on
    # the 2-core machine at load 19 (nice 19), so each adds to the boot's time limit.
    timeout = BOOT_TIMEOUT + 180 * len(judge or [])
    t0 = time.monotonic()
    for attempt in (1, 2):
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
            serial, qrc = p.stdout.decode(errors="replace"), p.returncode
            serial += p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            serial, qrc = (e.stdout or b"").decode(errors="replace") + "\n[timed out]\n", "timeout"
        # On a loaded machine a boot can hang in the firmware, before the kernel prints a line:
        # one retry, said in the output. A kernel that started and then failed is not retried.
        if qrc == 0 or attempt == 2 or re.search(r"Linux version|Booting Linux", serial):
            break
        log("%s: no kernel output (QEMU %s after %.0f s): hung before the kernel; booting again"
            % (name, qrc, time.monotonic() - t0))
    secs = time.monotonic() - t0
    with open(os.path.join(cdir, "serial.log"), "w") as f:
        f.write(serial)
    res = sections(serial)
    res["qemu-registers"] = qregs
    res["serial"] = serial
    tree = None
    if "capture" in res and res["capture"][0] == 0:
        try:
            tree = extract_capture(res["capture"][1], cdir)
        except Exception as e:  # a garbled transfer fails the assertions below
            log("%s: cannot unpack the capture: %s" % (name, e))
    if not guest and tree:
        res.update(host_run(tree, cfg.get("check_qemu", common["check_qemu"])))
    results = [("QEMU boots and powers off", qrc == 0 and "@@VM READY@@" in serial, "qemu exit %s" % qrc),
               ("the guest captured its tree", tree is not None, "")]
    results += assert_config(name, exp, res, tree)
    if judge:
        # judge_cannot_tell = BACKEND: QEMU's exact refusal, one a line (README: what the host
        # cannot tell).
        known = dict((k.strip(), v.strip()) for k, v in
                     (l.split(":", 1) for l in split_lines(cfg.get("judge_cannot_tell", ""))))
        # judge_tcg = QEMU's exact refusal under TCG that is no verdict (README), one a line.
        tcg = split_lines(cfg.get("judge_tcg", ""))
        cases = judge_cases(res)
        results.append(("judge: every case ran (%d of %d)" % (len(cases), len(judge)),
                        len(cases) == len(judge), "see the serial log"))
        results += judge_results(name, cases, known, tcg)
    release = res.get("uname", (0, "?"))[1].strip()
    return name, secs, results, cdir, tree, release


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", "-j", type=int, default=int(os.environ.get("VM_JOBS", "0")) or os.cpu_count() or 1)
    ap.add_argument("--keep-logs", default=os.path.join(BUILDDIR, "tests", "vm", "logs"))
    ap.add_argument("--capture", metavar="DIR", help="copy every guest's captured tree to DIR/CONFIG")
    ap.add_argument("--list", action="store_true", help="list the configurations")
    ap.add_argument("--judge", metavar="DEVICE-OPTIONS", action="append",
                    help="(tests/vm/qemu-judge) in the one iommufd configuration named, run QEMU "
                         "11.1 against the vfio-pci device behind this vIOMMU (e.g. "
                         "intel-iommu,caching-mode=on; 'suggest': what iommuctl suggests) and "
                         "print its verdict beside iommuctl check's; repeatable")
    ap.add_argument("--no-judge", action="store_true",
                    help="skip the configurations' judge matrix (to measure what it adds)")
    ap.add_argument("configs", nargs="*")
    args = ap.parse_args()

    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    ini.read(os.path.join(SRCDIR, "tests", "vm", "configs.ini"))
    common = {k: " ".join(v.split()) for k, v in ini["common"].items()}
    names = [s for s in ini.sections() if s != "common"]
    if args.list:
        print("\n".join(names))
        return 0
    for n in args.configs:
        if n not in names:
            die("no configuration %s (tests/vm/configs.ini has %s)" % (n, " ".join(names)))
    names = args.configs or names
    if args.judge:
        cfg = ini[names[0]]
        if len(names) != 1 or cfg["kernel"] != IOMMUFD_KERNEL or not cfg.get("vfio"):
            die("--judge needs exactly one configuration with kernel = iommufd and vfio "
                "(e.g. iommufd-intel-sm, iommufd-arm64-smmuv3)")
    for p in (IOMMUCTL, DAEMON, HWINFO_CAPTURE):
        if not os.path.exists(p):
            die("%s is not built (make first)" % p)

    t_start = time.monotonic()
    ensure_tools()
    sets = ["vm"] + sorted(set("iommufd-" + DEB_ARCH[ini[n]["arch"]] for n in names
                               if ini[n]["kernel"] == IOMMUFD_KERNEL))
    vmdir = fetch_kernels(sets)
    log("setup (tools, kernels): %.1f s" % (time.monotonic() - t_start))
    work = tempfile.mkdtemp(prefix="check-vm-")
    n = 0
    failed = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futs = [ex.submit(run_config, name, ini[name], common, vmdir, work, args.judge,
                              args.no_judge) for name in names]
            for fut in futs:
                name, secs, results, cdir, tree, release = fut.result()
                log("%s: boot %.1f s (kernel %s)" % (name, secs, release))
                bad = False
                for desc, ok, detail in results:
                    n += 1
                    print("%s %d - %s: %s%s" % ("ok" if ok else "not ok", n, name, desc,
                                                "" if ok else " (%s)" % detail), flush=True)
                    bad |= not ok
                if bad:
                    failed.append(name)
                    os.makedirs(args.keep_logs, exist_ok=True)
                    keep = os.path.join(args.keep_logs, name + ".serial.log")
                    shutil.copy(os.path.join(cdir, "serial.log"), keep)
                    shutil.copy(os.path.join(cdir, "qemu-command.txt"),
                                os.path.join(args.keep_logs, name + ".qemu-command.txt"))
                    log("%s: serial log kept in %s" % (name, keep))
                if args.capture and tree:
                    dest = os.path.join(args.capture, name)
                    shutil.rmtree(dest, ignore_errors=True)
                    shutil.copytree(tree, dest, symlinks=True)
                    # Without this machine's paths: the cache as $IOMMUCAPD_DEPS, the run's
                    # directory as $WORK (the notes of the fixture trees).
                    cmd = open(os.path.join(cdir, "qemu-command.txt")).read()
                    cmd = cmd.replace(os.path.dirname(vmdir), "$IOMMUCAPD_DEPS").replace(work, "$WORK")
                    with open(os.path.join(dest, "CAPTURE", "qemu-command.txt"), "w") as f:
                        f.write(cmd)
                    with open(os.path.join(dest, "CAPTURE", "config.txt"), "w") as f:
                        f.write("tests/vm/configs.ini [%s]\n" % name)
                    with open(os.path.join(dest, "CAPTURE", "boot-time.txt"), "w") as f:
                        f.write("%.1f s (TCG, wall clock, %d boots in parallel)\n" % (secs, args.jobs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % n)
    log("check-vm: %d configurations in %.1f s%s" % (len(names), time.monotonic() - t_start,
                                                     ", failed: " + " ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
