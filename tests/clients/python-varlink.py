#!/usr/bin/python3
# iommu-capd through python3-varlink's client library and CLI: every method of io.iommucapd
# and org.varlink.service, compared with what "iommuctl --offline --sysroot TREE dump" prints for
# the same tree (TAP output). python3-varlink parses our interface text with its own scanner
# (Client.open and "varlink.cli help"), and filters every reply through it. Then the daemon on
# every other fixture tree: GetHost equals the offline dump and conforms strictly to our IDL.
import json
import os
import queue
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FIXTURE = "large-host"  # 8 VT-d units, 200 PCI functions, 96 groups: a 190 kB host document


def main():
    deps = common.fetch_deps()
    pythonpath = common.use_python_varlink(deps)
    import varlink

    t = common.Tap()
    tmp = common.tempdir()
    tree = common.copy_fixture(FIXTURE, os.path.join(tmp, "tree"))
    try:
        daemon = common.Daemon(tree, os.path.join(tmp, "s.sock"), os.path.join(tmp, "daemon.log"))
    except RuntimeError as e:
        common.rmtree(tmp)
        t.bail(str(e))
    try:
        try:
            run(t, varlink, daemon, tree, pythonpath)
        finally:
            status = daemon.stop()
            t.check(status == 0, "the daemon exits 0 on SIGTERM",
                    f"exit status {status}\n" + daemon.logtext())
        every_fixture(t, varlink, tmp)
    finally:
        common.rmtree(tmp)
    t.done()


def every_fixture(t, varlink, tmp):
    """The daemon on each fixture tree (read in place): GetHost on the wire is the offline dump,
    conforms strictly to our IDL, and reads the same through python's client."""
    with open(os.path.join(common.builddir, "schema", "io.iommucapd.varlink")) as f:
        iface = varlink.Interface(f.read())
    host_type = iface.members["GetHost"].out_type
    for fx in sorted(os.listdir(common.FIXTURES)):
        tree = os.path.join(common.FIXTURES, fx)
        if fx == FIXTURE or not os.path.isdir(os.path.join(tree, "sys")):
            continue
        sock = os.path.join(tmp, "fx.sock")
        try:
            daemon = common.Daemon(tree, sock, os.path.join(tmp, "fx.log"))
        except RuntimeError as e:
            t.check(False, f"{fx}: the daemon starts", e)
            continue
        try:
            doc = common.offline_dump(tree)
            raw = common.Raw(sock)
            reply = raw.call("io.iommucapd.GetHost")
            raw.close()
            host = (reply or {}).get("parameters", {}).get("host")
            problems = common.idl_problems(iface, host_type, (reply or {}).get("parameters"))
            with varlink.Client.new_with_address(daemon.address).open("io.iommucapd") as con:
                err, viapy = varlink_error(lambda: con.GetHost())
            t.check(host == doc and not problems and err is None and
                    common.strip_nulls(viapy.get("host")) == common.strip_nulls(doc),
                    f"{fx}: GetHost is the offline dump, conforms to the IDL, reads the same in python",
                    "\n".join(problems) or err or common.first_difference(host, doc) or
                    common.first_difference(common.strip_nulls(viapy.get("host")), common.strip_nulls(doc)))
        finally:
            st = daemon.stop()
            if st != 0:
                t.check(False, f"{fx}: the daemon exits 0 on SIGTERM", f"exit {st}\n" + daemon.logtext())


def varlink_error(fn):
    """Call fn; return (error name, parameters) of the VarlinkError it raises, or (None, reply)."""
    import varlink
    try:
        return None, fn()
    except varlink.VarlinkError as e:
        return e.error(), e.parameters()


def run(t, varlink, daemon, tree, pythonpath):
    S = common.strip_nulls
    doc = common.offline_dump(tree)
    addr = daemon.address
    client = varlink.Client.new_with_address(addr)

    # org.varlink.service through the library's built-in copy of the interface.
    with client.open("org.varlink.service") as svc:
        info = svc.GetInfo()
        version = subprocess.run([common.DAEMON, "--version"], capture_output=True,
                                 text=True).stdout.split()[-1]
        t.check(info.get("interfaces") == ["io.iommucapd", "org.varlink.service"],
                "GetInfo lists io.iommucapd and org.varlink.service, sorted", info)
        t.check(info.get("product") == "iommu-capd" and info.get("version") == version and
                info.get("vendor") and info.get("url", "").startswith("http"),
                "GetInfo names product, version (as iommu-capd --version), vendor and url", info)
        desc = svc.GetInterfaceDescription("io.iommucapd").get("description")
        with open(os.path.join(common.builddir, "schema", "io.iommucapd.varlink")) as f:
            schema = f.read()
        t.check(desc == schema, "GetInterfaceDescription(io.iommucapd) is schema/io.iommucapd.varlink verbatim",
                common.first_difference(desc, schema))
        try:
            parsed = varlink.Interface(desc)
            ok = parsed.name == "io.iommucapd" and set(
                m for m in parsed.members if isinstance(parsed.members[m], varlink.scanner._Method)) == {
                "GetHost", "ListUnits", "GetUnit", "ListUnitSummaries", "ListUnitRows", "ListDevices",
                "ListDeviceUnits", "ListWarnings", "StreamHost", "GetDevice",
                "ListGroups", "Monitor", "Rescan", "Check", "Suggest"}
            t.check(ok, "python's scanner parses our IDL with all fifteen methods", sorted(parsed.members))
        except Exception as e:
            t.check(False, "python's scanner parses our IDL with all fifteen methods", repr(e))
        sdesc = svc.GetInterfaceDescription("org.varlink.service").get("description", "")
        try:
            varlink.Interface(sdesc)
            t.check("error ExpectedMore" in sdesc,
                    "GetInterfaceDescription(org.varlink.service) parses, with ExpectedMore", sdesc)
        except Exception as e:
            t.check(False, "GetInterfaceDescription(org.varlink.service) parses", repr(e))
        err, par = varlink_error(lambda: svc.GetInterfaceDescription("org.example.nope"))
        t.check(err == "org.varlink.service.InterfaceNotFound" and par == {"interface": "org.example.nope"},
                "GetInterfaceDescription of an unknown interface is InterfaceNotFound naming it",
                f"{err} {par}")

    with client.open("io.iommucapd") as con:
        host = con.GetHost().get("host")
        t.check(S(host) == S(doc), "GetHost is the offline dump (nulls aside, which python drops)",
                common.first_difference(S(host), S(doc)))
        units = con.ListUnits().get("units")
        t.check(S(units) == S(doc["units"]) and len(units) == 8, "ListUnits is the dump's units",
                common.first_difference(S(units), S(doc["units"])))
        bad = [u["name"] for u in doc["units"] if S(con.GetUnit(u["name"]).get("unit")) != S(u)]
        t.check(not bad, "GetUnit of each unit is the dump's unit", bad)
        t.check(S(con.GetUnit(name="dmar3")["unit"]) == S(doc["units"][3]),
                "GetUnit with a keyword argument")
        summ = con.ListUnitSummaries()
        want = [dict({k: v for k, v in u.items() if k not in ("raw", "raw_unknown", "fields", "devices")},
                     capabilities={k: v for k, v in u["capabilities"].items()
                                   if k not in ("unknown", "sources")},
                     n_devices=len(u["devices"])) for u in doc["units"]]
        t.check(S(summ.get("units")) == S(want) and summ.get("warnings") == doc["warnings"],
                "ListUnitSummaries is the dump's units less registers, reasons and device names, "
                "with their count, and the dump's warnings",
                common.first_difference(S(summ.get("units")), S(want)))
        rows = con.ListUnitRows()
        sets = rows.get("capability_sets", [])
        back = [dict({k: v for k, v in r.items() if k != "capability_set"},
                     capabilities=sets[r["capability_set"]]) for r in rows.get("units", [])]
        t.check(S(back) == S(want) and rows.get("warnings") == doc["warnings"] and
                len(sets) == len({json.dumps(u["capabilities"], sort_keys=True) for u in want}),
                "ListUnitRows is ListUnitSummaries with each distinct capability set once, and "
                "the dump's warnings", common.first_difference(S(back), S(want)))
        err, par = varlink_error(lambda: con.GetUnit("dmar99"))
        t.check(err == "io.iommucapd.NoSuchUnit" and par == {"name": "dmar99"},
                "GetUnit of a missing unit is io.iommucapd.NoSuchUnit with the name", f"{err} {par}")
        devices = con.ListDevices().get("devices")
        t.check(S(devices) == S(doc["devices"]) and len(devices) == 200,
                "ListDevices is the dump's devices", common.first_difference(S(devices), S(doc["devices"])))
        bad = [d["address"] for d in doc["devices"][::7]
               if S(con.GetDevice(d["address"]).get("device")) != S(d)]
        t.check(not bad, "GetDevice of every 7th device is the dump's device", bad)
        err, par = varlink_error(lambda: con.GetDevice("0000:ff:1f.7"))
        t.check(err == "io.iommucapd.NoSuchDevice" and par == {"address": "0000:ff:1f.7"},
                "GetDevice of a missing device is io.iommucapd.NoSuchDevice with the address",
                f"{err} {par}")
        places = con.ListDeviceUnits().get("devices")
        want = [{k: d[k] for k in ("address", "unit", "group")} for d in doc["devices"]]
        t.check(S(places) == S(want), "ListDeviceUnits is the dump's devices' address, unit and "
                "group", common.first_difference(S(places), S(want)))
        t.check(con.ListWarnings().get("warnings") == doc["warnings"],
                "ListWarnings is the dump's warnings")
        pieces = list(con.StreamHost(_more=True))
        arrays = {"unit": "units", "group": "groups", "device": "devices"}
        joined = dict(pieces[0]["head"], units=[], groups=[], devices=[],
                      warnings=pieces[0].get("warnings"))
        for p in pieces[1:]:
            (key, v), = p.items()
            joined[arrays[key]].append(v)
        t.check(S(joined) == S(doc) and len(pieces) == 1 + len(doc["units"]) +
                len(doc["groups"]) + len(doc["devices"]),
                "StreamHost's pieces, joined, are the dump: the head and warnings, then one "
                "reply per unit, group and device", common.first_difference(S(joined), S(doc)))
        groups = con.ListGroups().get("groups")
        t.check(S(groups) == S(doc["groups"]) and len(groups) == 96, "ListGroups is the dump's groups",
                common.first_difference(S(groups), S(doc["groups"])))
        err, par = varlink_error(lambda: con.Monitor())
        t.check(err == "org.varlink.service.ExpectedMore", "Monitor without more is ExpectedMore",
                f"{err} {par}")
        err, par = varlink_error(lambda: con.GetHost())
        t.check(err is None, "the connection still serves after the errors", f"{err} {par}")

    # The same document on the wire, nulls included: exactly the offline dump.
    raw = common.Raw(daemon.sock)
    reply = raw.call("io.iommucapd.GetHost")
    raw.close()
    with open(os.path.join(common.builddir, "schema", "io.iommucapd.varlink")) as f:
        iface = varlink.Interface(f.read())
    problems = common.idl_problems(iface, iface.members["GetHost"].out_type, (reply or {}).get("parameters"))
    t.check(not problems, "GetHost on the wire conforms strictly to our IDL", "\n".join(problems))
    t.check(reply is not None and "error" not in reply and reply["parameters"]["host"] == doc,
            "GetHost on the wire equals the offline dump exactly",
            common.first_difference(reply["parameters"]["host"], doc) if reply and "parameters" in reply
            else reply)

    monitor_and_rescan(t, varlink, client, daemon, tree)
    rescan_unprivileged(t, daemon)

    # python3-varlink's command line.
    env = dict(os.environ, PYTHONPATH=pythonpath)
    r = subprocess.run(["/usr/bin/python3", "-m", "varlink.cli", "info", addr], capture_output=True,
                       text=True, env=env, timeout=60)
    t.check(r.returncode == 0 and not r.stderr and "Product: iommu-capd" in r.stdout and
            "io.iommucapd" in r.stdout and "org.varlink.service" in r.stdout,
            "python3 -m varlink.cli info", r.stdout + r.stderr)
    r = subprocess.run(["/usr/bin/python3", "-m", "varlink.cli", "help", addr + "/io.iommucapd"],
                       capture_output=True, text=True, env=env, timeout=60)
    missing = [m for m in ("interface io.iommucapd", "method GetHost", "method Monitor",
                           "method Rescan", "error NoSuchUnit", "type Event") if m not in r.stdout]
    t.check(r.returncode == 0 and not r.stderr and not missing,
            "python3 -m varlink.cli help ADDRESS/io.iommucapd parses and prints our IDL",
            f"exit {r.returncode}, missing {missing}\n{r.stderr}")
    r = subprocess.run(["/usr/bin/python3", "-m", "varlink.cli", "call",
                        addr + "/io.iommucapd.GetUnit", '{"name":"dmar5"}'],
                       capture_output=True, text=True, env=env, timeout=60)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = None
    t.check(r.returncode == 0 and out is not None and S(out.get("unit")) == S(doc["units"][5]),
            "python3 -m varlink.cli call ADDRESS/io.iommucapd.GetUnit", r.stdout[:500] + r.stderr)


def rescan_unprivileged(t, daemon):
    """Rescan from another user (nobody, when we are root and have setpriv): PermissionDenied."""
    setpriv = "/usr/bin/setpriv"
    if os.geteuid() != 0 or not os.access(setpriv, os.X_OK):
        return
    os.chmod(os.path.dirname(daemon.sock), 0o711)
    script = ("import json, socket, sys\n"
              "s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])\n"
              "s.sendall(b'{\"method\":\"io.iommucapd.Rescan\"}\\0')\n"
              "b = b''\n"
              "while not b.endswith(b'\\0'):\n"
              "    c = s.recv(4096)\n"
              "    if not c: break\n"
              "    b += c\n"
              "print(b.rstrip(b'\\0').decode())\n")
    r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                        "-c", script, daemon.sock], capture_output=True, text=True, timeout=30)
    try:
        reply = json.loads(r.stdout)
    except ValueError:
        reply = r.stdout + r.stderr
    t.check(reply == {"error": "io.iommucapd.PermissionDenied", "parameters": {}},
            "Rescan by an unprivileged user is io.iommucapd.PermissionDenied", reply)


def monitor_and_rescan(t, varlink, client, daemon, tree, root=None):
    """Monitor(_more=True) in a thread while the tree changes. As root: a group's type changes
    (below the watched directories, so only Rescan sees it) and Rescan must report it. As
    another user (Rescan is PermissionDenied): a device's bus entry goes, which inotify sees."""
    events = queue.Queue()
    mon = client.open("io.iommucapd")
    root = os.geteuid() == 0 if root is None else root

    def listen():
        try:
            for reply in mon.Monitor(_more=True):
                events.put(reply)
        except Exception as e:  # the connection ends with the daemon
            events.put(e)

    th = threading.Thread(target=listen, daemon=True)
    th.start()
    time.sleep(0.3)
    typefile = os.path.join(tree, "sys", "kernel", "iommu_groups", "5", "type")
    dev = "0000:00:04.2"
    link = os.path.join(tree, "sys", "bus", "pci", "devices", dev)
    target = os.readlink(link)
    kinds = ["identity", "DMA", "blocked"]
    got = None
    with client.open("io.iommucapd") as con:
        if not root:
            err, par = varlink_error(lambda: con.Rescan())
            t.check(err == "io.iommucapd.PermissionDenied", "Rescan as non-root is PermissionDenied",
                    f"{err} {par}")
        # The subscription may not be in place yet: change again until an event comes (at most 10).
        for attempt in range(10):
            if root:
                with open(typefile, "w") as f:
                    f.write(kinds[attempt % 3] + "\n")
                err, par = varlink_error(lambda: con.Rescan())
            elif os.path.lexists(link):
                os.unlink(link)
            else:
                os.symlink(target, link)
            try:
                got = events.get(timeout=1 if attempt < 9 else 5)
                break
            except queue.Empty:
                continue
        if root:
            t.check(err is None and par == {}, "Rescan (as root) succeeds with an empty reply",
                    f"{err} {par}")
        time.sleep(0.3)  # any further event of the same change
        rest = []
        while not events.empty():
            rest.append(events.get())
        now = {g["id"]: g for g in con.ListGroups()["groups"]}
        err, nowdev = varlink_error(lambda: con.GetDevice(dev))
    ev = got.get("event") if isinstance(got, dict) else None
    if root:
        t.check(ev is not None and ev.get("kind") == "group" and ev.get("action") == "changed" and
                ev.get("name") == "5", "Monitor(_more=True) reports the group Rescan found changed",
                got)
        t.check(ev is not None and ev.get("group") == now[5] and
                now[5]["type"] == kinds[attempt % 3] and not ev.get("unit") and not ev.get("device"),
                "the event carries the group's new state (only the group)", f"{ev}\nnow: {now[5]}")
    else:
        present = os.path.lexists(link)
        t.check(ev is not None and ev.get("kind") == "device" and ev.get("name") == dev and
                ev.get("action") == ("added" if present else "removed"),
                "Monitor(_more=True) reports the device whose bus entry changed", got)
        t.check(ev is not None and (ev.get("device") == nowdev.get("device") if present else
                                    err == "io.iommucapd.NoSuchDevice" and not ev.get("device")) and
                not ev.get("unit") and not ev.get("group"),
                "the event carries the device's new state (only the device)", f"{ev}\nnow: {nowdev}")
        if not present:
            os.symlink(target, link)
    t.check(not rest, "one event for one change", rest)
    mon.close()

if __name__ == "__main__":
    main()
