#!/usr/bin/python3
# The capability catalogue (lib/capabilities.def) is the contract the schemas and the varlink
# interface spell out: "make" writes their capability members from it (schema/catalogue_gen.py);
# the host document's capabilities block, the requirement's min and features, and the
# interface's Capabilities and CapabilityValues types as built must agree with it, key by key,
# in its orders and with its types and limits (TAP).
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from taplib import Tap  # noqa: E402

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
tap = Tap()

sys.path.insert(0, os.path.join(srcdir, "schema"))
import catalogue_gen  # noqa: E402

COLUMNS = catalogue_gen.COLUMNS


def read_catalogue():
    rows = catalogue_gen.read_rows(srcdir)
    for row in rows:
        tap(row["n_args"] == len(COLUMNS) - 1, "catalogue row %s has every column" % row["id"],
            "%d arguments" % row["n_args"])
    return rows


def names_table(name):
    """A NULL-terminated name table of lib/model.c, in enum order."""
    return catalogue_gen.names_table(srcdir, name)


def built(name):
    """A contract as "make" wrote it from its template and the catalogue, checked to be what
    the template and this catalogue give (a stale build would test nothing)."""
    path = os.path.join(builddir, "schema", name)
    with open(path) as f:
        text = f.read()
    want = catalogue_gen.generate(srcdir, os.path.join(srcdir, "schema", name + ".in"))
    tap(text == want, "schema/%s is what its template and the catalogue give" % name)
    return text


rows = read_catalogue()
tap(len(rows) > 0, "the catalogue has rows")
by_doc = sorted(rows, key=lambda r: r["doc"])
tap([r["doc"] for r in by_doc] == list(range(len(rows))),
    "DOC places are 0..%d, each once" % (len(rows) - 1), str([r["doc"] for r in rows]))
doc_keys = [r["key"] for r in by_doc]
tap(len(set(doc_keys)) == len(doc_keys), "JSON keys are unique", str(doc_keys))
tap(all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in doc_keys), "JSON keys are snake_case")
metrics = [r["metric"] for r in rows]
tap(len(set(metrics)) == len(metrics) and all(m.startswith("iommu_capd_unit_") for m in metrics),
    "metric names are unique and iommu_capd_unit_*", str(metrics))
tap(all((r["label"] is not None) == (r["type"] in ("STR", "ENUM", "INT_LIST", "STR_LIST"))
        for r in rows), "a metric has a label exactly when the value is a name or a list")
tap(all(("(capabilities.%s)" % r["key"]) in r["metric_help"] for r in rows),
    "each metric's help names its capability")
columns = [r["column"] for r in rows]
tap(len(set(columns)) == len(columns) and all(re.fullmatch(r"[A-Z][A-Z-]*", c) for c in columns),
    "column names are unique, upper case", str(columns))
tap(all((r["req_max"] > 0) == (r["kind"] == "MIN") for r in rows),
    "a minimum, and only a minimum, has a REQ_MAX")
tap(all(r["type"] == {"MIN": "INT", "FEATURE": "BOOL", "ENUM": "ENUM", "PASID": "STR_LIST"}.get(r["kind"], r["type"])
        for r in rows), "each requirement kind has its type")

stall = names_table("iommucap_stall_names")
httu = names_table("iommucap_httu_names")

# ---- host document -------------------------------------------------------------------------
host = json.loads(built("host.schema.json"))
caps = host["$defs"]["capabilities"]
tap(caps["required"] == doc_keys + ["unknown", "sources"],
    "host.schema.json: capabilities.required is the catalogue in DOC order",
    "%s\n%s" % (caps["required"], doc_keys))
tap(list(caps["properties"]) == doc_keys + ["unknown", "sources"],
    "host.schema.json: capabilities.properties in DOC order", str(list(caps["properties"])))


def host_type_ok(row, node):
    t = row["type"]
    if t == "INT":
        return node.get("type") == ["integer", "null"]
    if t == "BOOL":
        return node.get("$ref") == "#/$defs/nullable_bool"
    if t in ("STR", "ENUM"):
        names = {"stall": stall, "httu": httu}.get(row["key"])
        return names is not None and sorted(node.get("enum", [])[:-1]) == sorted(names) and \
            node["enum"][-1] is None
    if t in ("INT_LIST", "STR_LIST"):
        item = node.get("items", {})
        want = "integer" if t == "INT_LIST" else "string"
        return node.get("type") == ["array", "null"] and \
            (item.get("type") == want or (want == "string" and "enum" in item))
    return False


for r in rows:
    tap(host_type_ok(r, caps["properties"].get(r["key"], {})),
        "host.schema.json: %s is %s" % (r["key"], r["type"]),
        json.dumps(caps["properties"].get(r["key"])))

# ---- requirement document ------------------------------------------------------------------
req = json.loads(built("requirement.schema.json"))
mins = [r for r in rows if r["kind"] == "MIN"]
feats = [r for r in rows if r["kind"] == "FEATURE"]
enums = [r for r in rows if r["kind"] == "ENUM"]
sets = [r for r in rows if r["kind"] == "SET"]
rmin = req["$defs"]["min"]["properties"]
tap(list(rmin) == [r["key"] for r in mins], "requirement.schema.json: min is the MIN rows",
    str(list(rmin)))
for r in mins:
    node = rmin.get(r["key"], {})
    tap(node.get("type") == "integer" and node.get("minimum") == 0 and
        node.get("maximum") == r["req_max"],
        "requirement.schema.json: min.%s is an integer up to %s" % (r["key"], r["req_max"]),
        json.dumps(node))
rfeat = req["$defs"]["features"]["properties"]
tap(list(rfeat) == [r["key"] for r in feats + enums],
    "requirement.schema.json: features are the FEATURE rows, then the ENUM rows",
    str(list(rfeat)))
for r in feats:
    tap(rfeat.get(r["key"], {}).get("type") == "boolean",
        "requirement.schema.json: features.%s is a boolean" % r["key"])
tap(rfeat.get("stall", {}).get("enum") == stall,
    "requirement.schema.json: features.stall takes the stall names", str(rfeat.get("stall")))
tap(rfeat.get("httu", {}).get("enum") == [h for h in httu if h != "none"],
    "requirement.schema.json: features.httu takes the httu names but none", str(rfeat.get("httu")))
top = list(req["properties"])
tap(all(r["key"] in top for r in sets), "requirement.schema.json: every SET row is a member",
    str(top))
tap([k for k in top if k in [r["key"] for r in sets]] == [r["key"] for r in sets],
    "requirement.schema.json: the SET rows in the catalogue's order")
ptable = req["$defs"]["pasid_table"]["properties"]["model"]
tap(ptable.get("enum") == names_table("iommucap_pasid_table_models"),
    "requirement.schema.json: pasid_table.model takes the PASID-table models",
    json.dumps(ptable))

# ---- varlink interface ---------------------------------------------------------------------
idl = re.sub(r"#[^\n]*", "", built("io.iommucapd.varlink"))


def idl_fields(name):
    m = re.search(r"\btype\s+%s\s*\((.*?)\n\)" % name, idl, re.S)
    fields = []
    for line in m.group(1).split(","):
        if line.strip():
            k, _, t = line.partition(":")
            fields.append((k.strip(), re.sub(r"\s+", "", t)))
    return fields


IDL_TYPE = {"INT": "?int", "BOOL": "?bool", "STR": "?string", "ENUM": "?string",
            "INT_LIST": "?[]int", "STR_LIST": "?[]string"}
want = [(r["key"], IDL_TYPE[r["type"]]) for r in by_doc]
tap(idl_fields("Capabilities") == want + [("unknown", "[string]string"),
                                          ("sources", "[string]string")],
    "io.iommucapd.varlink: Capabilities is the catalogue in DOC order",
    str(idl_fields("Capabilities")))
tap(idl_fields("CapabilityValues") == want,
    "io.iommucapd.varlink: CapabilityValues is the catalogue in DOC order",
    str(idl_fields("CapabilityValues")))

# ---- the generator refuses a template that writes a catalogue member by hand ----------------
def refused(template_text, suffix):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=suffix) as t:
        t.write(template_text)
        t.flush()
        try:
            catalogue_gen.generate(srcdir, t.name)
        except catalogue_gen.CatalogueError as e:
            return str(e)
    return None


with open(os.path.join(srcdir, "schema", "host.schema.json.in")) as f:
    tmpl = json.load(f)
tmpl["$defs"]["capabilities"]["properties"]["ssid_bits"] = {"type": "integer"}
err = refused(json.dumps(tmpl), ".json.in")
tap(err is not None and "ssid_bits" in err,
    "catalogue_gen.py refuses ssid_bits written by hand beside @capabilities@", str(err))
with open(os.path.join(srcdir, "schema", "requirement.schema.json.in")) as f:
    tmpl = json.load(f)
tmpl["$defs"]["features"]["properties"]["@features@"]["httu"]["enum"] = ["access", "all"]
err = refused(json.dumps(tmpl), ".json.in")
tap(err is not None and "all" in err,
    "catalogue_gen.py refuses an enum outside the catalogue's names", str(err))

sys.exit(tap.done())
