#!/usr/bin/python3
# Hotplug: iommu-capd on a copy of a fixture tree (real symbolic links) while a script makes an
# IOMMU unit appear, then a PCI device (with its group) behind it, then both disappear again.
# The daemon watches sys/class/iommu, sys/bus/pci/devices and sys/kernel/iommu_groups with
# inotify and re-probes ~50 ms after a burst of changes. Two Monitor subscribers (raw varlink
# connections with "more") must each get the same events, step by step, and after every step
# the daemon's GetHost must be what a fresh "iommuctl --offline" probe of the tree says
# (TAP output).
import json
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FIXTURE = "large-host"  # dmar0..dmar7, groups 0..95
NEW_UNIT = "dmar8"  # a copy of dmar7 (its intel-iommu/ registers), another register base
NEW_DEV = "0000:20:00.0"  # a copy of 0000:08:00.1 (mlx5, config space with PASID/ATS/PRI)
SRC_DEV = "pci0000:00/0000:00:03.0/0000:08:00.1"
NEW_GROUP = "96"


def symlink(target, link):
    """A relative symbolic link, as sysfs has them."""
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


class Steps:
    def __init__(self, t, daemon, tree, subs, q):
        self.t, self.daemon, self.tree, self.subs, self.q = t, daemon, tree, subs, q
        self.sys = os.path.join(tree, "sys")

    def p(self, *parts):
        return os.path.join(self.sys, *parts)

    def events(self, want_n, timeout=5.0, quiet=0.4):
        """The events each subscriber got: until want_n came (or timeout), then a quiet spell."""
        got = []
        for s in self.subs:
            evs = []
            deadline = time.monotonic() + timeout
            while len(evs) < want_n and time.monotonic() < deadline:
                try:
                    r = s.recv(timeout=max(0.01, deadline - time.monotonic()))
                except socket.timeout:
                    break
                evs.append(r)
                if r is None:
                    break
            try:  # nothing more for this step
                r = s.recv(timeout=quiet)
                evs.append(r)
            except socket.timeout:
                pass
            got.append(evs)
        return got

    def check_events(self, what, want, split=None):
        """want: [(kind, action, name)] in order (or split: the order when the two watched
        changes of a step fell into two re-probes). The replies carry "continues" and the state
        (only the kind's member; none when removed) is what Get*/List* now return."""
        got = self.events(len(want))
        t = self.t
        replies = got[0]
        ok = all(isinstance(r, dict) and r.get("continues") is True and "error" not in r
                 for r in replies)
        t.check(ok, f"{what}: Monitor replies are 'continues' replies", json.dumps(replies)[:1500])
        evs = [r.get("parameters", {}).get("event", {}) if isinstance(r, dict) else r for r in replies]
        triples = [(e.get("kind"), e.get("action"), e.get("name")) if isinstance(e, dict) else e
                   for e in evs]
        t.check(triples == want or (split is not None and triples == split), f"{what}: events {want}",
                f"got {triples}")
        t.check(all(g == got[0] for g in got[1:]), f"{what}: every subscriber got the same events",
                json.dumps(got)[:1500])
        now = self.q.call("io.iommucapd.GetHost")["parameters"]["host"]
        index = {"unit": ("units", "name"), "device": ("devices", "address"),
                 "group": ("groups", "id")}
        bad = []
        for e in evs:
            if not isinstance(e, dict) or e.get("kind") not in index:
                bad.append(e)
                continue
            member, key = index[e["kind"]]
            cur = [x for x in now[member] if str(x[key]) == e["name"]]
            others = [k for k in index if k != e["kind"] and e.get(k) is not None]
            if e["action"] == "removed":
                if cur or e.get(e["kind"]) is not None or others:
                    bad.append(e)
            elif not cur or e.get(e["kind"]) != cur[0] or others:
                bad.append(e)
        t.check(not bad, f"{what}: each event carries the state GetHost now has (none if removed)",
                json.dumps(bad)[:1500])
        self.same_as_probe(what, now)
        return evs

    def same_as_probe(self, what, host=None):
        host = host or self.q.call("io.iommucapd.GetHost")["parameters"]["host"]
        doc = common.offline_dump(self.tree)
        self.t.check(host == doc, f"{what}: GetHost equals a fresh offline probe of the tree",
                     common.first_difference(host, doc))

    def call(self, method, params):
        return self.q.call("io.iommucapd." + method, params)

    # ---- the steps ------------------------------------------------------------------------

    def unit_appears(self):
        unit_dir = self.p("devices", "virtual", "iommu", NEW_UNIT)
        shutil.copytree(self.p("devices", "virtual", "iommu", "dmar7"), unit_dir, symlinks=True)
        for e in os.listdir(os.path.join(unit_dir, "devices")):
            os.unlink(os.path.join(unit_dir, "devices", e))
        with open(os.path.join(unit_dir, "intel-iommu", "address"), "w") as f:
            f.write("9dffc000\n")
        symlink(unit_dir, self.p("class", "iommu", NEW_UNIT))
        self.check_events("unit appears", [("unit", "added", NEW_UNIT)])
        r = self.call("GetUnit", {"name": NEW_UNIT})
        u = r.get("parameters", {}).get("unit", {})
        self.t.check(u.get("name") == NEW_UNIT and u.get("model") == "intel-vtd" and
                     u.get("raw", {}).get("address") == "0x9dffc000" and u.get("devices") == [],
                     "GetUnit of the new unit: its registers, no devices yet", json.dumps(r)[:800])
        r = self.call("ListUnits", None)
        self.t.check([x["name"] for x in r["parameters"]["units"]][-2:] == ["dmar7", NEW_UNIT],
                     "ListUnits has the new unit", json.dumps(r)[:300])

    def device_appears(self, stage):
        dev_dir = self.p("devices", "pci0000:00", NEW_DEV)
        shutil.copytree(self.p("devices", SRC_DEV), dev_dir, symlinks=True)
        for name, target in (("iommu", self.p("devices", "virtual", "iommu", NEW_UNIT)),
                             ("iommu_group", self.p("kernel", "iommu_groups", NEW_GROUP))):
            os.unlink(os.path.join(dev_dir, name))
            symlink(target, os.path.join(dev_dir, name))
        symlink(dev_dir, self.p("devices", "virtual", "iommu", NEW_UNIT, "devices", NEW_DEV))
        # The group is made aside and moved in: it appears whole, as the kernel makes it.
        g = os.path.join(stage, NEW_GROUP)
        os.makedirs(os.path.join(g, "devices"))
        shutil.copy(self.p("kernel", "iommu_groups", "95", "reserved_regions"), g)
        with open(os.path.join(g, "type"), "w") as f:
            f.write("identity\n")
        os.symlink(os.path.relpath(dev_dir, self.p("kernel", "iommu_groups", NEW_GROUP, "devices")),
                   os.path.join(g, "devices", NEW_DEV))
        # The two changes the daemon watches, back to back: one burst, one re-probe.
        os.rename(g, self.p("kernel", "iommu_groups", NEW_GROUP))
        symlink(dev_dir, self.p("bus", "pci", "devices", NEW_DEV))
        self.check_events("device appears", [("unit", "changed", NEW_UNIT),
                                             ("device", "added", NEW_DEV),
                                             ("group", "added", NEW_GROUP)],
                          split=[("unit", "changed", NEW_UNIT),
                                 ("group", "added", NEW_GROUP),
                                 ("device", "added", NEW_DEV)])
        r = self.call("GetDevice", {"address": NEW_DEV})
        d = r.get("parameters", {}).get("device", {})
        old = self.call("GetDevice", {"address": "0000:08:00.1"})["parameters"]["device"]
        self.t.check(d.get("unit") == NEW_UNIT and d.get("group") == int(NEW_GROUP) and
                     d.get("pasid") == old.get("pasid") and d.get("ats") == old.get("ats"),
                     "GetDevice of the new device: its unit, group and capabilities", json.dumps(r)[:800])
        r = self.call("GetUnit", {"name": NEW_UNIT})
        self.t.check(r.get("parameters", {}).get("unit", {}).get("devices") == [NEW_DEV],
                     "GetUnit of the new unit lists the new device", json.dumps(r)[:800])
        groups = self.call("ListGroups", None)["parameters"]["groups"]
        mine = [x for x in groups if x["id"] == int(NEW_GROUP)]
        self.t.check(len(groups) == 97 and mine and mine[0]["devices"] == [NEW_DEV] and
                     mine[0]["type"] == "identity", "ListGroups has the new group with the device",
                     json.dumps(mine))

    def device_disappears(self, stage):
        dev_dir = self.p("devices", "pci0000:00", NEW_DEV)
        os.unlink(self.p("devices", "virtual", "iommu", NEW_UNIT, "devices", NEW_DEV))
        os.unlink(self.p("bus", "pci", "devices", NEW_DEV))
        os.rename(self.p("kernel", "iommu_groups", NEW_GROUP), os.path.join(stage, "gone"))
        shutil.rmtree(dev_dir)
        self.check_events("device disappears", [("unit", "changed", NEW_UNIT),
                                                ("device", "removed", NEW_DEV),
                                                ("group", "removed", NEW_GROUP)])
        r = self.call("GetDevice", {"address": NEW_DEV})
        self.t.check(r.get("error") == "io.iommucapd.NoSuchDevice" and
                     r.get("parameters") == {"address": NEW_DEV},
                     "GetDevice of the removed device is NoSuchDevice", json.dumps(r))

    def unit_disappears(self):
        os.unlink(self.p("class", "iommu", NEW_UNIT))
        shutil.rmtree(self.p("devices", "virtual", "iommu", NEW_UNIT))
        self.check_events("unit disappears", [("unit", "removed", NEW_UNIT)])
        r = self.call("GetUnit", {"name": NEW_UNIT})
        self.t.check(r.get("error") == "io.iommucapd.NoSuchUnit" and
                     r.get("parameters") == {"name": NEW_UNIT},
                     "GetUnit of the removed unit is NoSuchUnit", json.dumps(r))

    def existing_device_goes_and_returns(self):
        """A device of a unit the fixture had: its bus link goes, then comes back."""
        link = self.p("bus", "pci", "devices", "0000:00:04.2")
        target = os.readlink(link)
        os.unlink(link)
        self.check_events("a device's bus entry goes", [("device", "removed", "0000:00:04.2")])
        os.symlink(target, link)
        self.check_events("and comes back", [("device", "added", "0000:00:04.2")])


def main():
    t = common.Tap()
    tmp = common.tempdir()
    tree = common.copy_fixture(FIXTURE, os.path.join(tmp, "tree"))
    stage = os.path.join(tmp, "stage")  # same file system as the tree: renames are atomic
    os.makedirs(stage)
    pristine = common.offline_dump(os.path.join(common.FIXTURES, FIXTURE))
    try:
        daemon = common.Daemon(tree, os.path.join(tmp, "s.sock"), os.path.join(tmp, "daemon.log"))
    except RuntimeError as e:
        common.rmtree(tmp)
        t.bail(str(e))
    subs = []
    try:
        for _ in range(2):
            s = common.Raw(daemon.sock)
            s.send({"method": "io.iommucapd.Monitor", "more": True})
            subs.append(s)
        # A subscriber that shuts down its sending side after the call (as "printf ... | nc -U"
        # does) is still listening: sd-varlink keeps such a half-closed connection until POLLHUP.
        half = common.Raw(daemon.sock)
        half.send({"method": "io.iommucapd.Monitor", "more": True})
        half.s.shutdown(socket.SHUT_WR)
        q = common.Raw(daemon.sock)
        time.sleep(0.3)  # the subscriptions are in place (the daemon is idle otherwise)
        host = q.call("io.iommucapd.GetHost")["parameters"]["host"]
        t.check(host == pristine, "at start GetHost is the fixture's offline dump",
                common.first_difference(host, pristine))
        t.check(all(_quiet(s) for s in subs), "no Monitor event before anything changes")
        st = Steps(t, daemon, tree, subs, q)
        st.unit_appears()
        try:
            r = half.recv(timeout=2)
        except socket.timeout:
            r = "no reply within 2 s"
        t.check(isinstance(r, dict) and r.get("parameters", {}).get("event", {}).get("name") == NEW_UNIT,
                "a subscriber that shut down its sending side still gets the event",
                "the daemon closed the connection without a reply" if r is None else r)
        half.close()
        st.device_appears(stage)
        st.device_disappears(stage)
        st.unit_disappears()
        st.existing_device_goes_and_returns()
        host = q.call("io.iommucapd.GetHost")["parameters"]["host"]
        t.check(host == pristine, "at the end GetHost is the fixture's offline dump again",
                common.first_difference(host, pristine))
        # A subscriber that hangs up is dropped; the other still gets events.
        subs[0].close()
        os.unlink(st.p("bus", "pci", "devices", "0000:00:05.0"))
        st.subs = subs[1:]
        st.check_events("after one subscriber left", [("device", "removed", "0000:00:05.0")])
        q.close()
    finally:
        status = daemon.stop()
        t.check(status == 0, "the daemon exits 0 on SIGTERM", f"exit status {status}\n" + daemon.logtext())
        for s in subs:
            s.close()
        common.rmtree(tmp)
    t.done()


def _quiet(s):
    """True if nothing comes on the connection for 0.2 s (no reply, no hang-up)."""
    try:
        s.recv(timeout=0.2)
        return False
    except socket.timeout:
        return True


if __name__ == "__main__":
    main()
