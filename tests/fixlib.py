"""Helpers to write sysfs-like fixture trees with real relative symlinks."""
import os
import shutil
import struct

ARM_CPUINFO = (
    "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid "
    "asimdrdm jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat "
    "ilrcpc flagm ssbs sb paca pacg dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 "
    "flagm2 frint svei8mm svebf16 i8mm bf16 dgh rng bti\n"
    "CPU implementer\t: 0x41\n"
)
X86_INTEL_CPUINFO = (
    "vendor_id\t: GenuineIntel\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "
    "clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc "
    "art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq "
    "pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca "
    "sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm "
    "3dnowprefetch cpuid_fault epb cat_l3 cat_l2 cdp_l3 intel_ppin cdp_l2 ssbd mba ibrs ibpb stibp "
    "ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 "
    "erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb intel_pt "
    "avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc "
    "cqm_mbm_total cqm_mbm_local split_lock_detect avx_vnni avx512_bf16 wbnoinvd dtherm ida arat "
    "pln pts hfi vnmi avx512vbmi umip pku ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq "
    "avx512_vnni avx512_bitalg tme avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote movdiri "
    "movdir64b enqcmd fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 avx512_fp16 "
    "amx_tile amx_int8 flush_l1d arch_capabilities\n"
)
X86_AMD_CPUINFO = (
    "vendor_id\t: AuthenticAMD\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
    "mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl "
    "nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid "
    "sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic "
    "cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core "
    "perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 invpcid_single hw_pstate ssbd mba ibrs "
    "ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx smap "
    "clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total "
    "cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin arat npt lbrv svm_lock "
    "nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload "
    "vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm "
    "debug_swap\n"
)


def kernfs_rel(link_dir, target):
    """The relative target sysfs writes for a link in link_dir to target (kernfs_get_target_path:
    climb from the link's directory to the first ancestor that contains the target's parent, then
    descend; so a link to an ancestor climbs one level more than os.path.relpath would)."""
    ldir = [c for c in link_dir.split("/") if c]
    tgt = [c for c in target.split("/") if c]
    base, ups = ldir, 0
    while base and tgt[:-1][:len(base)] != base:
        base, ups = base[:-1], ups + 1
    return "../" * ups + "/".join(tgt[len(base):])


class Tree:
    def __init__(self, root):
        self.root = root
        if os.path.lexists(root):
            shutil.rmtree(root)
        os.makedirs(root)

    def _abs(self, rel):
        return os.path.join(self.root, rel)

    def dir(self, rel):
        os.makedirs(self._abs(rel), exist_ok=True)

    def file(self, rel, data, mode=0o644):
        p = self._abs(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)

    def link(self, rel, target_rel):
        """A link at rel to target_rel (both relative to the root), stored relative."""
        p = self._abs(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(kernfs_rel(os.path.dirname(rel), target_rel), p)

    def rawlink(self, rel, target):
        p = self._abs(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)


def le16(v):
    return struct.pack("<H", v)


def le32(v):
    return struct.pack("<I", v)


def pci_config(size, vendor, device, rev, cls, subv, subd, status=0x0010, cmd=0x0406,
               hdr=0x00, cap_ptr=0x40, std_caps=(), ext_caps=()):
    """A config space image of size bytes (64, 256 or 4096).

    std_caps: [(offset, id, body bytes)] chained in order.
    ext_caps: [(offset, id, version, body bytes)] chained in order from 0x100.
    """
    c = bytearray(4096)
    c[0:2] = le16(vendor)
    c[2:4] = le16(device)
    c[4:6] = le16(cmd)
    c[6:8] = le16(status if std_caps else status & ~0x0010)
    c[8] = rev
    c[9:12] = cls.to_bytes(3, "little")
    c[0x0e] = hdr
    if hdr & 0x7f == 0:
        c[0x2c:0x2e] = le16(subv)
        c[0x2e:0x30] = le16(subd)
    c[0x34] = cap_ptr if std_caps else 0
    c[0x3d] = 1  # interrupt pin INTA
    for i, (off, cid, body) in enumerate(std_caps):
        nxt = std_caps[i + 1][0] if i + 1 < len(std_caps) else 0
        c[off] = cid
        c[off + 1] = nxt
        c[off + 2:off + 2 + len(body)] = body
    for i, (off, cid, ver, body) in enumerate(ext_caps):
        nxt = ext_caps[i + 1][0] if i + 1 < len(ext_caps) else 0
        c[off:off + 4] = le32(cid | ver << 16 | nxt << 20)
        c[off + 4:off + 4 + len(body)] = body
    return bytes(c[:size])


def pcie_cap(port_type, version=2):
    """PCI Express capability body (after id/next): caps, devcap, devctl, devsta, ..."""
    return le16(version | port_type << 4) + le32(0x10008fc2) + le16(0x2937) + le16(0)


class Host:
    """A host: units, PCI devices, groups; writes the tree."""

    def __init__(self, t):
        self.t = t
        self.devs = {}

    def proc(self, cmdline, osrelease, cpuinfo):
        self.t.file("proc/cmdline", cmdline + "\n")
        self.t.file("proc/sys/kernel/osrelease", osrelease + "\n")
        self.t.file("proc/cpuinfo", cpuinfo)

    def unit(self, name, udir, parent=None, files=None):
        """An IOMMU class device at udir, linked from sys/class/iommu/name."""
        t = self.t
        t.link(f"sys/class/iommu/{name}", udir)
        t.dir(udir)
        t.link(f"{udir}/subsystem", "sys/class/iommu")
        t.file(f"{udir}/uevent", "")
        if parent:
            t.link(f"{udir}/device", parent)
        for rel, data in (files or {}).items():
            t.file(f"{udir}/{rel}", data)
        t.dir(f"{udir}/devices")

    def pci(self, ddir, vendor, device, cls, rev=0, subv=0, subd=0, driver=None, unit=None,
            udir=None, group=None, config=None):
        """A PCI function at ddir (its basename is the address)."""
        t = self.t
        bdf = os.path.basename(ddir)
        self.devs[bdf] = ddir
        t.link(f"sys/bus/pci/devices/{bdf}", ddir)
        t.file(f"{ddir}/vendor", f"0x{vendor:04x}\n")
        t.file(f"{ddir}/device", f"0x{device:04x}\n")
        t.file(f"{ddir}/class", f"0x{cls:06x}\n")
        t.file(f"{ddir}/revision", f"0x{rev:02x}\n")
        t.file(f"{ddir}/subsystem_vendor", f"0x{subv:04x}\n")
        t.file(f"{ddir}/subsystem_device", f"0x{subd:04x}\n")
        if config is not None:
            t.file(f"{ddir}/config", config, mode=0o644)
        if driver:
            t.link(f"{ddir}/driver", f"sys/bus/pci/drivers/{driver}")
        if unit:
            t.link(f"{ddir}/iommu", udir)
            t.link(f"{udir}/devices/{bdf}", ddir)
        if group is not None:
            t.link(f"{ddir}/iommu_group", f"sys/kernel/iommu_groups/{group}")
        return bdf

    def group(self, gid, gtype, resv, members):
        t = self.t
        g = f"sys/kernel/iommu_groups/{gid}"
        t.file(f"{g}/type", gtype if isinstance(gtype, bytes) else gtype + "\n", mode=0o644)
        t.file(f"{g}/reserved_regions", resv)
        t.dir(f"{g}/devices")
        for bdf in members:
            t.link(f"{g}/devices/{bdf}", self.devs[bdf])
