#!/usr/bin/python3
# The schemas' and the varlink interface's capability members, from the capability catalogue
# (lib/capabilities.def): "make" writes schema/host.schema.json, schema/requirement.schema.json and
# schema/io.iommucapd.varlink from their templates (*.in), so that adding a row to the catalogue
# needs no hand edit of the contracts (docs/hacking.md).
#
#   catalogue_gen.py SRCDIR TEMPLATE OUTPUT
#
# A template is the file as published with markers where the catalogue's members go:
#   JSON  "@capabilities@" (every row, in DOC order; the host document's shape), "@min@" (the
#         MIN rows) and "@features@" (the FEATURE rows, then the ENUM rows) as an object's key,
#         whose value holds what the catalogue cannot say of a member (its description, a
#         narrower enum), written before what the catalogue gives; "@capabilities@" as an
#         array's element: the keys, in DOC order.
#   IDL   a line "@capabilities@": the members, one a line, in DOC order.
# The catalogue parser is also the test's (tests/catalogue.py imports this file).
import json
import os
import re
import sys

COLUMNS = ["kind", "id", "key", "type", "doc", "req_max", "guest", "migratable", "metric",
           "label", "metric_help", "column", "column_help", "unit"]
MARK = re.compile(r"^@(capabilities|min|features)@$")


class CatalogueError(Exception):
    pass


def c_args(text, i):
    """The comma-separated arguments of a macro call whose '(' is at text[i - 1]."""
    args, cur, depth = [], "", 1
    while True:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(cur.strip())
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
            i += 1
            continue
        cur += ch
        i += 1


def c_value(arg, defines):
    """A row's argument as Python: adjacent string literals joined, numbers, names resolved."""
    if arg.startswith('"'):
        return "".join(json.loads('"%s"' % s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', arg))
    if arg == "NULL":
        return None
    if arg in ("true", "false"):
        return arg == "true"
    if arg in defines:
        return defines[arg]
    if re.fullmatch(r"-?\d+", arg):
        return int(arg)
    return arg


def read_rows(srcdir):
    """The catalogue's rows, in its order, each a dict of COLUMNS (and "n_args")."""
    with open(os.path.join(srcdir, "lib", "vocab.h")) as f:
        vocab = f.read()
    defines = {m.group(1): int(m.group(2))
               for m in re.finditer(r"#define (IOMMUCAP_\w+) (\d+)\s*$", vocab, re.M)}
    with open(os.path.join(srcdir, "lib", "capabilities.def")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = []
    for m in re.finditer(r"\bCAP_(MIN|FEATURE|ENUM|SET|PASID|NONE)\(", text):
        args, _ = c_args(text, m.end())
        row = dict(zip(COLUMNS, [m.group(1)] + [c_value(a, defines) for a in args]))
        row["n_args"] = len(args)
        rows.append(row)
    return rows


def names_table(srcdir, name):
    """A name table of lib/model.c, in enum order (without its NULL)."""
    with open(os.path.join(srcdir, "lib", "model.c")) as f:
        text = f.read()
    m = re.search(r"const char \*const %s\[[^]]*\] = \{(.*?)\};" % name, text, re.S)
    if not m:
        raise CatalogueError("lib/model.c has no name table %s" % name)
    return re.findall(r'"([^"]*)"', m.group(1))


def enum_names(srcdir, row):
    """The names of an ENUM row's values: the table lib/model.c's ENUM_NAMES_<ID> names."""
    with open(os.path.join(srcdir, "lib", "model.c")) as f:
        m = re.search(r"#define ENUM_NAMES_%s\s+(\w+)" % row["id"], f.read())
    if not m:
        raise CatalogueError("lib/model.c does not define ENUM_NAMES_%s" % row["id"])
    return names_table(srcdir, m.group(1))


class Catalogue:
    def __init__(self, srcdir):
        self.rows = read_rows(srcdir)
        self.by_doc = sorted(self.rows, key=lambda r: r["doc"])
        self.names = {r["key"]: enum_names(srcdir, r) for r in self.rows if r["type"] == "ENUM"}
        self.pasid_models = names_table(srcdir, "iommucap_pasid_table_models")
        self.width_max = dict(re.findall(r"#define (IOMMUCAP_WIDTH_MAX) (\d+)",
                                         open(os.path.join(srcdir, "lib", "vocab.h")).read()))
        self.width_max = int(self.width_max["IOMMUCAP_WIDTH_MAX"])

    def of_kind(self, *kinds):
        return [r for k in kinds for r in self.rows if r["kind"] == k]

    # ---- the host document: a member per row, null when unknown -------------------------
    def host_member(self, row):
        t, unit = row["type"], row["unit"]
        if t == "INT":
            node = {"type": ["integer", "null"]}
            if unit == "bits":
                node.update(minimum=0, maximum=self.width_max)
            elif unit == "bytes":
                node["minimum"] = 1
            return node
        if t == "BOOL":
            return {"$ref": "#/$defs/nullable_bool"}
        if t == "ENUM":
            return {"enum": self.names[row["key"]] + [None]}
        if t in ("INT_LIST", "STR_LIST"):
            if row["kind"] == "PASID":
                item = {"enum": self.pasid_models}
            else:
                item = {"type": "integer" if t == "INT_LIST" else "string"}
                if unit == "bytes":
                    item["minimum"] = 1
            return {"type": ["array", "null"], "items": item}
        raise CatalogueError("%s: no host document shape for type %s" % (row["key"], t))

    # ---- the requirement: min.KEY and features.KEY --------------------------------------
    def requirement_member(self, row):
        if row["kind"] == "MIN":
            return {"type": "integer", "minimum": 0, "maximum": row["req_max"]}
        if row["kind"] == "FEATURE":
            return {"type": "boolean"}
        return {"enum": self.names[row["key"]]}

    # ---- the varlink interface ----------------------------------------------------------
    IDL_TYPE = {"INT": "?int", "BOOL": "?bool", "ENUM": "?string", "INT_LIST": "?[]int",
                "STR_LIST": "?[]string"}

    def idl_members(self, indent):
        out = []
        for r in self.by_doc:
            names = self.names.get(r["key"]) or (self.pasid_models if r["kind"] == "PASID"
                                                 else None)
            if names:
                out.append("%s# %s or %s" % (indent, ", ".join(names[:-1]), names[-1]))
            elif r["unit"] == "bytes":
                out.append("%s# Bytes." % indent)
            out.append("%s%s: %s" % (indent, r["key"], self.IDL_TYPE[r["type"]]))
        return out


def merged(extra, generated, where):
    """What the template says of a member first, then what the catalogue gives that it does
    not; an enum the template narrows must stay within the catalogue's."""
    if not isinstance(extra, dict):
        raise CatalogueError("%s: expected an object" % where)
    if "enum" in extra and "enum" in generated and \
            not set(extra["enum"]) <= set(generated["enum"]):
        raise CatalogueError("%s: enum %s is not within the catalogue's %s"
                             % (where, extra["enum"], generated["enum"]))
    out = dict(extra)
    for k, v in generated.items():
        out.setdefault(k, v)
    return out


def expand_json(cat, node, path=""):
    if isinstance(node, list):
        out = []
        for v in node:
            if v == "@capabilities@":
                out.extend(r["key"] for r in cat.by_doc)
            else:
                out.append(expand_json(cat, v, path + "/[]"))
        return out
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        m = MARK.match(k)
        if not m:
            out[k] = expand_json(cat, v, path + "/" + k)
            continue
        what = m.group(1)
        rows = {"capabilities": cat.by_doc, "min": cat.of_kind("MIN"),
                "features": cat.of_kind("FEATURE", "ENUM")}[what]
        gen = cat.host_member if what == "capabilities" else cat.requirement_member
        if not isinstance(v, dict):
            raise CatalogueError("%s/%s: expected an object of members" % (path, k))
        unknown = set(v) - {r["key"] for r in rows}
        if unknown:
            raise CatalogueError("%s/%s: %s not in the catalogue (or not of this kind)"
                                 % (path, k, sorted(unknown)))
        for r in rows:
            if r["key"] in node:
                raise CatalogueError("%s: %s is written by hand beside %s" % (path, r["key"], k))
            out[r["key"]] = merged(v.get(r["key"], {}), gen(r), "%s/%s" % (path, r["key"]))
    return out


def expand_idl(cat, text):
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() != "@capabilities@":
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        members = cat.idl_members(indent)
        last = lines[i + 1].strip() == ")" if i + 1 < len(lines) else True
        # A comma after each member but the type's last.
        fields = [j for j, m in enumerate(members) if not m.lstrip().startswith("#")]
        for j, m in enumerate(members):
            out.append(m + ("," if j in fields and (j != fields[-1] or not last) else ""))
    return "\n".join(out)


def generate(srcdir, template):
    cat = Catalogue(srcdir)
    with open(template) as f:
        text = f.read()
    if template.endswith(".json.in"):
        return json.dumps(expand_json(cat, json.loads(text)), indent=2, ensure_ascii=False) + "\n"
    return expand_idl(cat, text)


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: catalogue_gen.py SRCDIR TEMPLATE OUTPUT\n")
        return 2
    try:
        text = generate(argv[1], argv[2])
    except (CatalogueError, OSError, ValueError) as e:
        sys.stderr.write("catalogue_gen.py: %s: %s\n" % (argv[2], e))
        return 1
    with open(argv[3] + ".tmp", "w") as f:
        f.write(text)
    os.replace(argv[3] + ".tmp", argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
