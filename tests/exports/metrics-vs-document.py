#!/usr/bin/python3
"""Check iommu_capd_* metrics against the host document they were made from.

    metrics-vs-document.py METRICS DOCUMENT

Parses the text exposition format (HELP, TYPE, samples; label values unescaped), checks its
structure (each family declared once with HELP then TYPE gauge, its samples contiguous and after
it, no series twice, only the known families) and that every sample says what the document
says: a value the document has as null has no sample, and iommu_capd_unit_capability_known says
which. Prints one line per problem; exit status 1 if there is any.
"""
import json
import re
import sys
from datetime import datetime, timezone

FAMILIES = [
    "iommu_capd_host_info", "iommu_capd_host_dev_iommu", "iommu_capd_host_dev_vfio",
    "iommu_capd_host_cpu_flag", "iommu_capd_units", "iommu_capd_groups", "iommu_capd_devices",
    "iommu_capd_warnings", "iommu_capd_probe_timestamp_seconds",
    "iommu_capd_unit_info", "iommu_capd_unit_devices", "iommu_capd_unit_capability_known",
    "iommu_capd_unit_ssid_width", "iommu_capd_unit_input_address_width",
    "iommu_capd_unit_output_address_width", "iommu_capd_unit_asid_width",
    "iommu_capd_unit_pasid_table_align_bytes", "iommu_capd_unit_nesting", "iommu_capd_unit_pri",
    "iommu_capd_unit_ats", "iommu_capd_unit_dirty_tracking", "iommu_capd_unit_caching_mode",
    "iommu_capd_unit_coherent", "iommu_capd_unit_scalable_mode", "iommu_capd_unit_btm",
    "iommu_capd_unit_sva", "iommu_capd_unit_stall_info", "iommu_capd_unit_httu_info", "iommu_capd_unit_page_size_info",
    "iommu_capd_unit_pgtable_format_info", "iommu_capd_unit_pasid_table_format_info",
    "iommu_capd_group_info", "iommu_capd_group_devices",
    "iommu_capd_device_info", "iommu_capd_device_pasid_width",
    "iommu_capd_device_effective_pasid_width",
]
# capabilities.KEY -> the gauge of its value.
SCALARS = {
    "ssid_bits": "iommu_capd_unit_ssid_width",
    "input_bits": "iommu_capd_unit_input_address_width",
    "output_bits": "iommu_capd_unit_output_address_width",
    "asid_bits": "iommu_capd_unit_asid_width",
    "pasid_table_align": "iommu_capd_unit_pasid_table_align_bytes",
    "nesting": "iommu_capd_unit_nesting",
    "pri": "iommu_capd_unit_pri",
    "ats": "iommu_capd_unit_ats",
    "dirty_tracking": "iommu_capd_unit_dirty_tracking",
    "caching_mode": "iommu_capd_unit_caching_mode",
    "coherent": "iommu_capd_unit_coherent",
    "scalable_mode": "iommu_capd_unit_scalable_mode",
    "btm": "iommu_capd_unit_btm",
    "sva": "iommu_capd_unit_sva",
}
# capabilities.KEY -> (the info metric of its values, its label).
LABELLED = {
    "stall": ("iommu_capd_unit_stall_info", "stall"),
    "httu": ("iommu_capd_unit_httu_info", "httu"),
    "page_sizes": ("iommu_capd_unit_page_size_info", "page_size"),
    "pgtable_formats": ("iommu_capd_unit_pgtable_format_info", "format"),
    "pasid_table_formats": ("iommu_capd_unit_pasid_table_format_info", "format"),
}

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (-?[0-9]+)$" % NAME)
LABEL = re.compile(r'(%s)="((?:[^"\\]|\\.)*)"(,|$)' % NAME)

problems = []


def problem(msg):
    problems.append(msg)


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse(text):
    """{family: [(labels dict, value)]}, with the structure checked."""
    fams, helped, typed, current = {}, set(), set(), None
    series = set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helped:
                problem("line %d: a second HELP for %s" % (n, name))
            helped.add(name)
            current = name
            fams.setdefault(name, [])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            if name != current or name in typed:
                problem("line %d: TYPE %s does not follow its HELP" % (n, name))
            if kind != "gauge":
                problem("line %d: %s is a %s, not a gauge" % (n, name, kind))
            typed.add(name)
        else:
            m = SAMPLE.match(line)
            if not m:
                problem("line %d: not a sample: %r" % (n, line))
                continue
            name, labels, value = m.group(1), m.group(2) or "", int(m.group(3))
            if name != current or name not in typed:
                problem("line %d: %s is not in its family's block" % (n, name))
            pairs, pos = [], 0
            while pos < len(labels):
                lm = LABEL.match(labels, pos)
                if not lm:
                    problem("line %d: bad labels %r" % (n, labels))
                    break
                pairs.append((lm.group(1), unescape(lm.group(2))))
                pos = lm.end()
            key = (name, tuple(pairs))
            if key in series:
                problem("line %d: series %s{%s} twice" % (n, name, labels))
            series.add(key)
            fams.setdefault(name, []).append((dict(pairs), value))
    for name, samples in fams.items():
        if name not in FAMILIES:
            problem("unexpected family %s" % name)
        if not samples:
            problem("family %s has no sample" % name)
    return fams


def one(fams, name, **labels):
    """The value of the one sample of name with these labels, or None."""
    got = [v for l, v in fams.get(name, []) if all(l.get(k) == w for k, w in labels.items())]
    if len(got) > 1:
        problem("%s%s: %d samples" % (name, labels, len(got)))
    return got[0] if got else None


def expect(what, got, want):
    if got != want:
        problem("%s: %r, expected %r" % (what, got, want))


def s(v):
    return "" if v is None else str(v)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        fams = parse(f.read())
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    host = doc["host"]

    # Host.
    dom = host["default_domain"] or {}
    info = fams.get("iommu_capd_host_info", [])
    expect("host_info samples", len(info), 1)
    if info:
        expect("host_info labels", info[0],
               ({"kernel_release": s(host["kernel_release"]),
                 "default_domain_type": s(dom.get("type")),
                 "default_domain_mode": s(dom.get("mode")),
                 "cpu_vendor": s(host["cpu"]["vendor"]),
                 "schema_version": str(doc["schema_version"])}, 1))
    expect("dev_iommu", one(fams, "iommu_capd_host_dev_iommu"), int(host["dev_iommu"]))
    expect("dev_vfio", one(fams, "iommu_capd_host_dev_vfio"), int(host["dev_vfio"]))
    flags = host["cpu"]["flags"]
    expect("cpu flags", {l["flag"]: v for l, v in fams.get("iommu_capd_host_cpu_flag", [])},
           {k: int(v) for k, v in (flags or {}).items()})
    for key, name in [("units", "iommu_capd_units"), ("groups", "iommu_capd_groups"),
                      ("devices", "iommu_capd_devices"), ("warnings", "iommu_capd_warnings")]:
        expect(name, one(fams, name), len(doc[key]))
    stamp = one(fams, "iommu_capd_probe_timestamp_seconds")
    if "generated_at" in doc:
        t = datetime.strptime(doc["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
        want = int(t.replace(tzinfo=timezone.utc).timestamp())
        expect("probe_timestamp_seconds", stamp, want if want > 0 else None)
    else:
        expect("probe_timestamp_seconds without generated_at", stamp, None)

    # Units.
    expect("unit_info units", [l.get("unit") for l, _ in fams.get("iommu_capd_unit_info", [])],
           [u["name"] for u in doc["units"]])
    for u in doc["units"]:
        name, caps = u["name"], u["capabilities"]
        expect("%s unit_info" % name, one(fams, "iommu_capd_unit_info", unit=name,
                                          model=u["model"], model_id=str(u["model_id"])), 1)
        expect("%s devices" % name, one(fams, "iommu_capd_unit_devices", unit=name),
               len(u["devices"]))
        for key, value in caps.items():
            if key in ("unknown", "sources"):
                continue
            known = one(fams, "iommu_capd_unit_capability_known", unit=name, capability=key)
            expect("%s %s known" % (name, key), known, int(value is not None))
            if key in SCALARS:
                got = one(fams, SCALARS[key], unit=name)
                expect("%s %s" % (name, SCALARS[key]), got,
                       None if value is None else int(value))
            elif key in LABELLED:
                metric, label = LABELLED[key]
                got = sorted(l[label] for l, v in fams.get(metric, []) if l["unit"] == name)
                values = [] if value is None else value if isinstance(value, list) else [value]
                expect("%s %s" % (name, metric), got, sorted(str(v) for v in values))
            else:
                problem("%s: capability %s has no metric" % (name, key))

    # Groups.
    for g in doc["groups"]:
        gid = str(g["id"])
        expect("group %s info" % gid, one(fams, "iommu_capd_group_info", group=gid,
                                          type=s(g["type"])), 1)
        expect("group %s devices" % gid, one(fams, "iommu_capd_group_devices", group=gid),
               len(g["devices"]))

    # Devices.
    for d in doc["devices"]:
        a = d["address"]
        expect("device %s info" % a,
               one(fams, "iommu_capd_device_info", device=a, unit=s(d["unit"]),
                   group=s(d["group"]), driver=s(d["driver"]), vendor=s(d["vendor"]),
                   device_id=s(d["device"]), **{"class": s(d["class"])}), 1)
        expect("device %s pasid width" % a,
               one(fams, "iommu_capd_device_pasid_width", device=a, unit=s(d["unit"])),
               d["pasid"]["width"])
        expect("device %s effective pasid width" % a,
               one(fams, "iommu_capd_device_effective_pasid_width", device=a,
                   unit=s(d["unit"])), d["effective_pasid_bits"])

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
