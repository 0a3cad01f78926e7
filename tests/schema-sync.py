#!/usr/bin/python3
# The varlink interface's types mirror schema/host.schema.json: the same fields, the same
# nullability and compatible types, for every object of the host document (TAP).
import json
import os
import re
import sys

# Both are written by "make" from schema/*.in and lib/capabilities.def: the build tree's.
builddir = os.environ.get("builddir", ".")


def parse_idl(text):
    """type Name ( field: type, ... ) -> {Name: {field: type-string}} (the subset we use)."""
    text = re.sub(r"#[^\n]*", "", text)
    types = {}
    for m in re.finditer(r"\btype\s+([A-Z]\w*)\s*\(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        fields, depth, cur = {}, 0, ""
        for ch in body + ",":
            if ch == "," and depth == 0:
                if cur.strip():
                    name, _, typ = cur.partition(":")
                    fields[name.strip()] = re.sub(r"\s+", "", typ)
                cur = ""
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            cur += ch
        types[m.group(1)] = fields
    return types


def resolve(schema, node):
    while "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        node = schema
        for p in path:
            node = node[p]
    return node


def schema_types(node, schema=None):
    """The JSON types a schema node allows (enum/const included), as a set."""
    if schema is not None:
        node = resolve(schema, node)
    t = node.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return set(t)
    out = set()
    for alt in node.get("oneOf", []) + node.get("anyOf", []):
        out |= schema_types(alt, schema)
    for v in node.get("enum", []):
        out.add({str: "string", type(None): "null", int: "integer", bool: "boolean"}[type(v)])
    if "const" in node:
        out.add("integer" if isinstance(node["const"], int) else "string")
    return out


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


def compare(schema, idl, vname, snode):
    fields = idl[vname]
    snode = resolve(schema, snode)
    props = snode.get("properties", {})
    check(set(fields) == set(props), f"{vname}: the same fields as the schema",
          f"only in varlink: {sorted(set(fields) - set(props))}\n"
          f"only in schema: {sorted(set(props) - set(fields))}")
    for name in sorted(set(fields) & set(props)):
        vt = fields[name]
        sn = resolve(schema, props[name])
        st = schema_types(sn, schema)
        nullable = vt.startswith("?")
        base = vt.lstrip("?")
        # "?" is absent or null: the schema allows null, or the member is optional.
        optional = name not in snode.get("required", [])
        ok = nullable == ("null" in st) or (nullable and optional and "null" not in st)
        want = st - {"null"}
        if base == "int":
            ok = ok and want == {"integer"}
        elif base == "bool":
            ok = ok and want == {"boolean"}
        elif base == "string":
            ok = ok and want == {"string"}
        elif base.startswith("[]"):
            ok = ok and want == {"array"}
        elif base.startswith("[string]") or base == "object" or base[0].isupper():
            ok = ok and want == {"object"}
        elif base.startswith("("):
            ok = ok and want == {"string"}
        check(ok, f"{vname}.{name}: {vt} matches the schema's {sorted(st)}")
        # Recurse into named struct types and arrays of them.
        inner = base[2:] if base.startswith("[]") else base
        if inner in idl:
            sub = sn.get("items", sn) if base.startswith("[]") else sn
            compare(schema, idl, inner, sub)


def main():
    schema = json.load(open(os.path.join(builddir, "schema", "host.schema.json")))
    idl = parse_idl(open(os.path.join(builddir, "schema", "io.iommucapd.varlink")).read())
    check("Host" in idl, "the interface has a Host type")
    compare(schema, idl, "Host", schema)
    # Every type of the interface is reached from Host, except the Monitor event.
    reached = set()

    def walk(name):
        if name in reached:
            return
        reached.add(name)
        for t in idl[name].values():
            inner = t.lstrip("?").removeprefix("[]").removeprefix("[string]")
            if inner in idl:
                walk(inner)
    walk("Host")
    walk("Event")
    walk("CheckResult")
    walk("SuggestChoice")
    walk("SuggestLost")
    # A UnitSummary is a Unit with the device count for the device names, less the registers.
    if "UnitSummary" in idl:
        walk("UnitSummary")
        want = {k: v for k, v in idl["Unit"].items()
                if k not in ("raw", "raw_unknown", "fields", "devices")}
        want["n_devices"] = "int"
        want["capabilities"] = "CapabilityValues"
        check(idl["UnitSummary"] == want, "UnitSummary is Unit less raw, raw_unknown, fields and "
              "devices, plus n_devices: int", f"{idl['UnitSummary']}\n{want}")
        # A UnitRow is a UnitSummary with the index of its capability set for its capabilities,
        # and the Unit's device names when asked for (ListUnitRows(devices: true)).
        walk("UnitRow")
        want = {k: v for k, v in idl["UnitSummary"].items() if k != "capabilities"}
        want["capability_set"] = "int"
        want["devices"] = "?" + idl["Unit"]["devices"]
        check(idl.get("UnitRow") == want, "UnitRow is UnitSummary with capability_set: int for "
              "capabilities, and the Unit's devices, optional", f"{idl.get('UnitRow')}\n{want}")
        want = {k: v for k, v in idl["Capabilities"].items() if k not in ("unknown", "sources")}
        check(idl.get("CapabilityValues") == want,
              "CapabilityValues is Capabilities less unknown and sources",
              f"{idl.get('CapabilityValues')}\n{want}")
    # A HostHead is the Host's members before its arrays.
    if "HostHead" in idl:
        walk("HostHead")
        want = {k: v for k, v in idl["Host"].items()
                if k not in ("units", "groups", "devices", "warnings")}
        check(idl["HostHead"] == want, "HostHead is Host less units, groups, devices and "
              "warnings", f"{idl['HostHead']}\n{want}")
    # A DeviceUnit is a Device's address, unit and group.
    if "DeviceUnit" in idl:
        walk("DeviceUnit")
        want = {k: idl["Device"][k] for k in ("address", "unit", "group")}
        check(idl["DeviceUnit"] == want, "DeviceUnit is Device's address, unit and group",
              f"{idl['DeviceUnit']}\n{want}")
    check(reached == set(idl),
          "every varlink type is part of the host document, Event, CheckResult, Suggest* or "
          "UnitSummary/UnitRow/DeviceUnit/HostHead",
          f"unreached: {sorted(set(idl) - reached)}")
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
