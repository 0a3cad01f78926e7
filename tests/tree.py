#!/usr/bin/python3
# "iommuctl tree" (TAP): for every fixture, the tree -J prints is the one the fixture's sysfs
# describes, read here independently of our library, by the kernel's rules:
#   - a unit is an entry of /sys/class/iommu; iommu_device_link() (drivers/iommu/iommu-sysfs.c)
#     makes a unit's devices/<name> link and the device's "iommu" link for each device it serves;
#   - a group is /sys/kernel/iommu_groups/N; its members are its devices/ links
#     (iommu_group_add_device(), drivers/iommu/iommu.c); "type" is what iommu_group_show_type()
#     prints: blocked, identity, unmanaged, DMA, DMA-FQ or unknown (anything else is not known);
#   - a group hangs under every unit that serves one of its members; a group no unit serves is a
#     root of its own; a device a unit serves outside every group hangs under the unit;
#   - a PCI device's driver is its "driver" link's last component; its PASID width, ATS and PRI
#     come from the extended capabilities of its "config" file (PCI Express Base Specification
#     6.0, 7.6.3 extended capability header: ID bits 15:0, next offset bits 31:20; PASID 0x1B,
#     7.8.9.2 Max PASID Width bits 12:8 of the register at +4; ATS 0x0F; PRI 0x13). The file
#     holds what pci_read_config() (drivers/pci/pci-sysfs.c) gives: 64 bytes to a reader without
#     CAP_SYS_ADMIN (unknown), else the device's cfg_size: 256 for a conventional PCI device,
#     which has no extended capabilities at all, 4096 with the extended space.
# Captured trees may hold a link as a file whose text is the link's target; it is followed too.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
wrapper_cmd = os.environ.get("IOMMUCTL_WRAPPER", "").split()
fixtures = os.path.join(srcdir, "tests", "fixtures")
GROUP_TYPES = {"blocked", "identity", "unmanaged", "DMA", "DMA-FQ", "unknown"}
COLUMNS = "name,type,domain,driver,pasid,ats,pri"

t = Tap()


class Sysfs:
    def __init__(self, root):
        self.root = root

    def _linkfile(self, p):
        """The target a captured link file holds, or None."""
        try:
            if os.path.getsize(p) > 4096:
                return None
            with open(p, "rb") as f:
                s = f.read().decode()
        except (OSError, UnicodeDecodeError):
            return None
        if s and "\n" not in s and (s.startswith("/") or s.startswith("../")
                                    or s.startswith("./")):
            return s
        return None

    def _link(self, p):
        if os.path.islink(p):
            return os.readlink(p)
        if os.path.isfile(p):
            return self._linkfile(p)
        return None

    def resolve(self, rel, follow_last=True):
        """rel's real path under the root, as components, or None when it leads nowhere."""
        todo = [c for c in rel.split("/") if c]
        cur = []
        hops = 0
        while todo:
            c = todo.pop(0)
            if c == ".":
                continue
            if c == "..":
                if cur:
                    cur.pop()
                continue
            p = os.path.join(self.root, *cur, c)
            target = self._link(p) if (todo or follow_last) else None
            if target is None:
                if not os.path.lexists(p):
                    return None
                cur.append(c)
                continue
            hops += 1
            if hops > 40:
                return None
            if target.startswith("/"):
                cur = []
            todo = [x for x in target.split("/") if x] + todo
        return cur

    def path(self, rel):
        r = self.resolve(rel)
        return None if r is None else os.path.join(self.root, *r)

    def listdir(self, rel):
        p = self.path(rel)
        if p is None or not os.path.isdir(p):
            return []
        return sorted(os.listdir(p))

    def link_name(self, rel):
        """The last component of the link rel's target (which need not exist), or None."""
        parent = self.resolve(os.path.dirname(rel))
        if parent is None:
            return None
        target = self._link(os.path.join(self.root, *parent, os.path.basename(rel)))
        return target.rstrip("/").rsplit("/", 1)[-1] if target else None

    def read(self, rel):
        p = self.path(rel)
        try:
            with open(p, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return None


def pci_caps(data):
    """(pasid width or 0, ats, pri) from a config space, None each without extended space."""
    if data is not None and len(data) == 256:
        return 0, False, False
    if data is None or len(data) < 4096:
        return None, None, None
    pasid, ats, pri = 0, False, False
    off, seen = 0x100, set()
    while off and off not in seen and off + 8 <= len(data):
        seen.add(off)
        hdr = int.from_bytes(data[off:off + 4], "little")
        cap = hdr & 0xFFFF
        if cap == 0x1B:
            pasid = (int.from_bytes(data[off + 4:off + 6], "little") >> 8) & 0x1F
        elif cap == 0x0F:
            ats = True
        elif cap == 0x13:
            pri = True
        if hdr == 0:
            break
        off = (hdr >> 20) & 0xFFC
    return pasid, ats, pri


def device_node(fs, name):
    pci = "sys/bus/pci/devices/" + name
    node = {"name": name, "type": "device", "domain": None, "driver": None,
            "pasid": None, "ats": None, "pri": None}
    if fs.resolve(pci) is None:
        return node
    node["driver"] = fs.link_name(pci + "/driver")
    node["pasid"], node["ats"], node["pri"] = pci_caps(fs.read(pci + "/config"))
    return node


def expected_tree(root):
    fs = Sysfs(root)
    groups = {}
    for g in fs.listdir("sys/kernel/iommu_groups"):
        if not g.isdigit():
            continue
        raw = fs.read("sys/kernel/iommu_groups/%s/type" % g)
        typ = raw.decode("ascii", "replace").strip() if raw is not None else None
        groups[int(g)] = (typ if typ in GROUP_TYPES else None,
                          fs.listdir("sys/kernel/iommu_groups/%s/devices" % g))
    members = {m for _, ms in groups.values() for m in ms}

    def group_node(gid):
        typ, ms = groups[gid]
        return {"name": str(gid), "type": "group", "domain": typ, "driver": None,
                "pasid": None, "ats": None, "pri": None,
                "children": [device_node(fs, m) for m in ms]}

    units, served_groups = [], set()
    for u in fs.listdir("sys/class/iommu"):
        serves = set(fs.listdir("sys/class/iommu/%s/devices" % u))
        for g in groups.values():
            for m in g[1]:
                if fs.link_name("sys/bus/pci/devices/%s/iommu" % m) == u:
                    serves.add(m)
        kids = []
        for gid in sorted(groups):
            if serves & set(groups[gid][1]):
                kids.append(group_node(gid))
                served_groups.add(gid)
        kids += [device_node(fs, d) for d in sorted(serves - members)
                 if d in fs.listdir("sys/class/iommu/%s/devices" % u)]
        node = {"name": u, "type": "unit", "domain": None, "driver": None, "pasid": None,
                "ats": None, "pri": None}
        if kids:
            node["children"] = kids
        units.append(node)
    orphans = [group_node(g) for g in sorted(groups) if g not in served_groups]
    return units, orphans


def canon(nodes):
    """Order-free form: siblings sorted by (type, name)."""
    out = []
    for nd in nodes:
        nd = dict(nd)
        if "children" in nd:
            nd["children"] = canon(nd["children"])
        out.append(nd)
    return sorted(out, key=lambda x: (x["type"], x["name"]))


def run(args):
    p = subprocess.run(wrapper_cmd + [iommuctl] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    for fx in sorted(os.listdir(fixtures)):
        root = os.path.join(fixtures, fx)
        if not os.path.isdir(os.path.join(root, "sys")):
            continue
        rc, out, err = run(["--sysroot", root, "-q", "tree", "-J", "-o", COLUMNS])
        if not t(rc == 0, "%s: tree -J exits 0" % fx, err):
            continue
        got = json.loads(out)["tree"]
        units, orphans = expected_tree(root)
        want = units + orphans
        t(canon(got) == canon(want), "%s: tree -J is the tree sysfs describes" % fx,
          "want: %s\ngot:  %s" % (json.dumps(canon(want)), json.dumps(canon(got))))
        # Units first, in order, then the groups no unit serves, as lsblk lists disks.
        t([x["type"] for x in got] == ["unit"] * len(units) + ["group"] * len(orphans),
          "%s: units first, then the groups no unit serves" % fx)
        # Groups ascending by number under each unit.
        ok = all([int(g["name"]) for g in u.get("children", []) if g["type"] == "group"] ==
                 sorted(int(g["name"]) for g in u.get("children", []) if g["type"] == "group")
                 for u in got)
        t(ok, "%s: groups in ascending order under each unit" % fx)
        # One unit named: only its subtree.
        if units:
            rc, out, err = run(["--sysroot", root, "-q", "tree", "-J", "-o", COLUMNS,
                                units[0]["name"]])
            t(rc == 0 and canon(json.loads(out)["tree"]) == canon([units[0]]),
              "%s: tree %s is that unit's subtree" % (fx, units[0]["name"]), err)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
