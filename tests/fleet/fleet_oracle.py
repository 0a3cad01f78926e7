# A second, independent statement of compare and baseline (man iommuctl, COMPARE AND BASELINE)
# over host documents, for the tests to hold lib/fleet.c against.

import re

MODELS = ["unknown", "intel-vtd", "arm-smmu-v3", "amd-vi", "arm-smmu", "virtio-iommu",
          "apple-dart", "riscv-iommu", "s390-iommu", "spapr-tce"]

# (difference name, kind, capability, kept by --migratable, seen by a guest: on every model,
# on arm-smmu-v3 only (what hw/arm/smmuv3-accel.c checks of the host), or never)
FIELDS = [
    ("model", "model", None, False, "all"),
    ("min.ssid_bits", "width", "ssid_bits", False, "all"),
    ("min.input_bits", "width", "input_bits", True, "all"),
    ("min.output_bits", "width", "output_bits", False, "arm-smmu-v3"),
    ("min.asid_bits", "width", "asid_bits", False, None),
    ("features.nesting", "bool", "nesting", False, "all"),
    ("features.pri", "bool", "pri", False, "all"),
    ("features.ats", "bool", "ats", False, "all"),
    ("features.dirty_tracking", "bool", "dirty_tracking", True, "all"),
    ("features.caching_mode", "bool", "caching_mode", False, None),
    ("features.btm", "bool", "btm", False, None),
    ("features.scalable_mode", "bool", "scalable_mode", False, None),
    ("features.stall", "stall", "stall", False, "all"),
    ("features.httu", "httu", "httu", True, "all"),
    ("pgtable_formats", "set", "pgtable_formats", False, "all"),
    ("page_sizes", "set", "page_sizes", False, "arm-smmu-v3"),
    ("pasid_table.model", "set", "pasid_table_formats", False, "all"),
]


def guest_walked(field, name):
    """Tables a guest may have built: not VT-d second-stage, AMD v1 or the VT-d PASID table."""
    if field == "pgtable_formats":
        return not re.match(r"(vtd-ss|amd-v1)-", name)
    return not (field == "pasid_table.model" and name == "intel")


KIND = {f[0]: f[1] for f in FIELDS}

# The features.stall requirements a unit with this stall model satisfies (lib/compat.c).
D, E, F = 1, 2, 4
STALL = {"disabled": D, "enabled": E | D, "force": E | F}
HTTU = ["none", "access", "access+dirty"]
PASID_MODELS = ["arm-1lvl", "arm-2lvl", "amd", "intel"]


def offer(unit, migratable=False):
    """A unit's offer: field -> value, None when unknown (or left out by --migratable)."""
    o = {}
    caps = unit["capabilities"]
    known_model = unit["model"] in MODELS[1:]
    for name, kind, cap, mig, guest in FIELDS:
        v = None
        if migratable and not mig:
            pass
        elif guest is None or (guest != "all" and known_model and unit["model"] != guest):
            pass
        elif kind == "model":
            v = MODELS.index(unit["model"]) if unit["model"] in MODELS[1:] else None
        elif caps[cap] is None:
            pass
        elif kind == "width":
            v = caps[cap] if caps[cap] >= 0 else None
        elif kind == "bool":
            v = int(caps[cap])
        elif kind == "stall":
            v = STALL.get(caps[cap])
        elif kind == "httu":
            v = HTTU.index(caps[cap]) if caps[cap] in HTTU else None
        else:
            v = frozenset(x for x in caps[cap] if guest_walked(name, x))
        o[name] = v
    return o


def offers(doc, migratable=False):
    return [offer(u, migratable) for u in doc["units"]]


def requires(kind, v):
    if v is None:
        return False
    if kind == "model":
        return True
    if kind == "set":
        return len(v) > 0
    return v > 0


def covers(field, b, a):
    """True, False, or 'unknown': does b satisfy in this field what a does?"""
    kind = KIND[field]
    x, y = a[field], b[field]
    if not requires(kind, x):
        return True
    if y is None:
        return "unknown"
    if kind == "model":
        return x == y
    if kind == "stall":
        return x & ~y == 0
    if kind == "set":
        return x <= y
    return y >= x


def dominates(b, a):
    return all(covers(f, b, a) is True for f in KIND)


def compare(a_offers, b_offers):
    fwd = all(any(dominates(b, a) for b in b_offers) for a in a_offers)
    bwd = all(any(dominates(a, b) for a in a_offers) for b in b_offers)
    return ("identical" if fwd and bwd else "superset" if fwd else "subset" if bwd
            else "incompatible")


def relations(a, b):
    """For one unit each: field -> more, less, unknown, differs (equal fields left out)."""
    out = {}
    for f in KIND:
        ge, le = covers(f, b, a), covers(f, a, b)
        if ge is True and le is True:
            continue
        out[f] = ("more" if ge is True else ("unknown" if ge == "unknown" else "less")
                  if le is True else "differs")
    return out


def score(o):
    atoms = bits = 0
    for f, kind in KIND.items():
        v = o[f]
        if kind == "model" or not requires(kind, v):
            continue
        if kind == "width":
            atoms, bits = atoms + 1, bits + v
        elif kind == "bool":
            atoms += 1
        elif kind == "stall":
            atoms += bin(v).count("1")
        elif kind == "httu":
            atoms += v
        else:
            atoms += len(v)
    return atoms, bits


def order_key(o):
    key = []
    for f, kind in KIND.items():
        v = o[f]
        if v is None:
            key.append((False, 0, 0, ()))
        elif kind == "set":
            key.append((True, 0, len(v), tuple(sorted(v))))
        else:
            key.append((True, v, 0, ()))
    return key


def best(offs):
    """The host's own offer: the most demands, then the most bits, then a fixed value order."""
    return max(offs, key=lambda o: (score(o), order_key(o)))


def meet(x, y):
    out = {}
    for f, kind in KIND.items():
        a, b = x[f], y[f]
        if a is None or b is None:
            out[f] = None
        elif kind == "model":
            out[f] = a if a == b else None
        elif kind == "stall":
            out[f] = a & b
        elif kind == "set":
            out[f] = a & b
        else:
            out[f] = min(a, b)
    return out


def requirement(o):
    """The requirement document an offer (or a meet) stands for."""
    r = {"schema_version": 1}
    m = o["pasid_table.model"]
    if m:
        for p in PASID_MODELS:
            if p in m:
                r["pasid_table"] = {"model": p}
                break
    mins = {}
    for f in ("min.ssid_bits", "min.input_bits", "min.output_bits", "min.asid_bits"):
        if requires("width", o[f]):
            mins[f[4:]] = min(o[f], 20 if f == "min.ssid_bits" else 64)
    if mins:
        r["min"] = mins
    feats = {}
    for f in ("features.nesting", "features.pri", "features.ats", "features.dirty_tracking",
              "features.caching_mode", "features.btm", "features.scalable_mode"):
        if o[f]:
            feats[f[9:]] = True
    s = o["features.stall"]
    if s:
        feats["stall"] = "force" if s & F else "enabled" if s & E else "disabled"
    if o["features.httu"]:
        feats["httu"] = HTTU[o["features.httu"]]
    if feats:
        r["features"] = feats
    fm = o["pgtable_formats"]
    if fm:
        ok = sorted(x for x in fm if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}", x))
        if ok:
            r["pgtable_formats"] = ok[:64]
    ps = o["page_sizes"]
    if ps:
        ok = sorted(x for x in ps if 4096 <= x <= 1 << 52 and x & (x - 1) == 0)
        if ok:
            r["page_sizes"] = ok[:64]
    return r


def baseline(docs, migratable=False):
    """None when a host has no unit; else the requirement every host satisfies."""
    m = None
    for d in docs:
        offs = offers(d, migratable)
        if not offs:
            return None
        b = best(offs)
        m = b if m is None else meet(m, b)
    return requirement(m)


def req_le(x, y):
    """Requirement x asks no more than requirement y, field by field (x never wider)."""
    for k, v in x.items():
        if k == "schema_version":
            continue
        if k not in y:
            return False
        w = y[k]
        if k == "min":
            if any(n not in w or v[n] > w[n] for n in v):
                return False
        elif k == "features":
            for n, val in v.items():
                if n not in w:
                    return False
                if n == "stall":
                    if STALL_CHAIN.index(val) > STALL_CHAIN.index(w[n]):
                        return False
                elif n == "httu":
                    if HTTU.index(val) > HTTU.index(w[n]):
                        return False
        elif k in ("pgtable_formats", "page_sizes"):
            if not set(v) <= set(w):
                return False
        elif v != w:
            return False
    return True


# As a feature, stalling grows from disabled to enabled to force; a baseline's stall only moves
# down this chain as hosts are added (enabled+disabled hosts: disabled; force+enabled: enabled).
STALL_CHAIN = ["disabled", "enabled", "force"]
