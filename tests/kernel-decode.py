#!/usr/bin/python3
# Cross-check against the kernel's own decodes: every real fixture's boot log (CAPTURE/) says what
# the kernel read from the registers; iommuctl's host document must agree (TAP output).
import json
import os
import re
import subprocess
import sys

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))

# The names the kernel prints in "AMD-Vi: Extended features (...)" (amd/init.c feat_str[]),
# by EFR bit, and the field names of the host document.
AMD_FEAT_STR = {
    "PreF": (0, "prefetch"), "PPR": (1, "ppr"), "X2APIC": (2, "x2apic"), "NX": (3, "nx"),
    "GT": (4, "gt"), "IA": (6, "ia"), "GA": (7, "ga"), "HE": (8, "he"), "PC": (9, "pc"),
}

n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + f" {n} - {what}")
    if not ok:
        failed += 1
        for line in str(detail).splitlines():
            print(f"# {line}")


def dump(tree):
    out = subprocess.run([iommuctl, "-q", "--sysroot", tree, "dump"], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def main():
    fixtures = os.path.join(srcdir, "tests", "fixtures")
    for fx in sorted(os.listdir(fixtures)):
        log = os.path.join(fixtures, fx, "CAPTURE", "dmesg-iommu.txt")
        if not os.path.exists(log):
            continue
        text = open(log, errors="replace").read()
        doc = dump(os.path.join(fixtures, fx))
        units = {u["name"]: u for u in doc["units"]}
        devices = {d["address"]: d for d in doc["devices"]}

        # DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap d2008c222f0686 ecap 490080f00f4a
        seen = set()
        for m in re.finditer(r"DMAR: (dmar\d+): reg_base_addr ([0-9a-f]+) ver (\d+):(\d+) "
                             r"cap ([0-9a-f]+) ecap ([0-9a-f]+)", text):
            name, addr, vmaj, vmin, cap, ecap = m.groups()
            if name in seen:
                continue
            seen.add(name)
            u = units.get(name)
            check(u is not None, f"{fx}: {name} is listed")
            if u is None:
                continue
            raw = u["raw"]
            want = {"address": int(addr, 16), "cap": int(cap, 16), "ecap": int(ecap, 16),
                    "version": int(vmaj) << 4 | int(vmin)}
            got = {k: int(raw[k], 16) if raw.get(k) else None for k in want}
            check(got == want, f"{fx}: {name} registers match the kernel's boot log",
                  f"kernel {want}\niommuctl {got}")
            f = u["fields"]
            check(f["version"]["major"] == int(vmaj) and f["version"]["minor"] == int(vmin),
                  f"{fx}: {name} version decodes as the kernel prints it")

        # "dmar0 SVM disabled, incompatible 1GB page capability": the CPU has 1 GiB pages
        # (pdpe1gb) and the unit has no first-level 1 GiB pages (cap FL1GP).
        for m in re.finditer(r"(dmar\d+) SVM disabled, incompatible 1GB page capability", text):
            u = units[m.group(1)]
            check(doc["host"]["cpu"]["flags"]["pdpe1gb"] and u["fields"]["cap"]["fl1gp"] == 0,
                  f"{fx}: {m.group(1)} SVM-disabled reason (pdpe1gb without fl1gp) agrees")
            # intel_svm_check() left the unit without VTD_FLAG_SVM_CAPABLE: no SVA on it.
            check(u["capabilities"]["sva"] is False and u["capabilities"]["sources"]["sva"] ==
                  "driver", f"{fx}: {m.group(1)} capabilities.sva is false, as the kernel says",
                  json.dumps({k: u["capabilities"][k] for k in ("sva", "unknown", "sources")}))

        # "IOMMU batching disallowed due to virtualization": caching mode.
        if "IOMMU batching disallowed due to virtualization" in text:
            check(all(u["capabilities"]["caching_mode"] for u in units.values()
                      if u["model"] == "intel-vtd"),
                  f"{fx}: caching mode agrees with the kernel's strict-mode message")

        # AMD-Vi: Extended features (0x29d3, 0x0): PreF PPR GT IA GA HE
        m = re.search(r"AMD-Vi: Extended features \((0x[0-9a-f]+), (0x[0-9a-f]+)\):([^\n]*)",
                      text)
        if m:
            efr, efr2 = int(m.group(1), 16), int(m.group(2), 16)
            names = m.group(3).split()
            for u in units.values():
                if u["model"] != "amd-vi":
                    continue
                got_efr = int(u["raw"]["efr"], 16)
                check(got_efr == efr, f"{fx}: {u['name']} EFR matches the kernel ({efr:#x})",
                      f"iommuctl {got_efr:#x}")
                if u["raw"].get("efr2") is not None:
                    check(int(u["raw"]["efr2"], 16) == efr2,
                          f"{fx}: {u['name']} EFR2 matches the kernel ({efr2:#x})")
                fields = u["fields"]["efr"]
                for word, (bit, field) in AMD_FEAT_STR.items():
                    check(fields[field] == (1 if word in names else 0),
                          f"{fx}: {u['name']} EFR.{field} agrees with the kernel's feature list")

        # pci 0000:00:01.0: Adding to iommu group 1
        for m in re.finditer(r"pci ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): Adding to iommu "
                             r"group (\d+)", text):
            d = devices.get(m.group(1))
            check(d is not None and d["group"] == int(m.group(2)),
                  f"{fx}: {m.group(1)} is in group {m.group(2)} as the kernel says")

        # arm-smmu-v3 ...: ias 44-bit, oas 44-bit (features 0x00008305): no sysfs surface, so
        # the capabilities must be unknown rather than guessed.
        if re.search(r"arm-smmu-v3 .*features 0x", text):
            for u in units.values():
                if u["model"] == "arm-smmu-v3" and u["property_dir"] is None:
                    caps = u["capabilities"]
                    check(caps["ssid_bits"] is None and caps["input_bits"] is None
                          and "ssid_bits" in caps["unknown"],
                          f"{fx}: {u['name']} capabilities are unknown, with reasons")

    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
