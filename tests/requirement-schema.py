#!/usr/bin/python3
# schema/requirement.schema.json against the examples in tests/requirements (TAP): the valid ones
# validate, each invalid-*.json fails (tests/unit/test-requirement runs the C parser on the same
# files, so the schema and the parser stay one contract); and once iommuctl has
# "check --print-requirement", what its importers print validates and equals the expected JSON.
# Requires: python3-jsonschema
import glob
import json
import os
import shlex
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("1..0 # SKIP python3-jsonschema is not installed")
    sys.exit(0)

srcdir = os.environ.get("srcdir", os.path.join(os.path.dirname(__file__), ".."))
builddir = os.environ.get("builddir", ".")
iommuctl = os.environ.get("IOMMUCTL", os.path.join(builddir, "cli", "iommuctl"))
wrapper = shlex.split(os.environ.get("IOMMUCTL_WRAPPER", ""))
examples = os.path.join(srcdir, "tests", "requirements")

n = 0
failed = 0


def check(ok, what, detail="", skip=None):
    global n, failed
    n += 1
    if skip:
        print(f"ok {n} - {what} # SKIP {skip}")
        return
    print(("ok" if ok else "not ok") + f" {n} - {what}")
    if not ok:
        failed += 1
        for line in str(detail).splitlines():
            print(f"# {line}")


def errors(validator, doc):
    return "\n".join(f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                     for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)))


def has_print_requirement():
    """Whether iommuctl has the option yet (its help lists it)."""
    try:
        r = subprocess.run([iommuctl, "--help"], capture_output=True, text=True)
    except OSError:
        return False
    return "--print-requirement" in r.stdout


def print_requirement(option, value):
    """iommuctl check OPTION VALUE --print-requirement: (document, None), or (None, why not)."""
    r = subprocess.run(wrapper + [iommuctl, "check", option, value, "--print-requirement"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"exit {r.returncode}: {r.stderr.strip()}"
    try:
        return json.loads(r.stdout), None
    except ValueError as e:
        return None, f"not JSON: {e}"


def main():
    with open(os.path.join(builddir, "schema", "requirement.schema.json")) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
        check(cls is jsonschema.Draft202012Validator, "the schema is a valid 2020-12 schema")
    except jsonschema.SchemaError as e:
        check(False, "the schema is a valid 2020-12 schema", e.message)
        print(f"1..{n}")
        return 1
    validator = cls(schema, format_checker=jsonschema.FormatChecker())

    paths = sorted(glob.glob(os.path.join(examples, "*.json")))
    valid = [p for p in paths if not os.path.basename(p).startswith("invalid-")]
    invalid = [p for p in paths if os.path.basename(p).startswith("invalid-")]
    check(len(valid) >= 10 and len(invalid) >= 15, "there are examples of both kinds",
          f"{len(valid)} valid, {len(invalid)} invalid")

    for p in valid:
        with open(p) as f:
            doc = json.load(f)
        check(validator.is_valid(doc), f"{os.path.basename(p)} validates", errors(validator, doc))
    for p in invalid:
        name = os.path.basename(p)
        with open(p) as f:
            doc = json.load(f)
        check(not validator.is_valid(doc), f"{name} is refused", "the schema accepts it")
        check(os.path.exists(p[:-len(".json")] + ".err"), f"{name} says the parser's error")

    # The importers' inputs: the expected document is a valid example; iommuctl must print it.
    inputs = sorted(glob.glob(os.path.join(examples, "*.qemu")) +
                    glob.glob(os.path.join(examples, "*.xml")))
    check(len(inputs) >= 4, "there are QEMU and libvirt inputs")
    not_yet = None if has_print_requirement() else "iommuctl has no check --print-requirement yet"
    for p in inputs:
        name = os.path.basename(p)
        option = "--qemu" if p.endswith(".qemu") else "--libvirt"
        expected = os.path.splitext(p)[0] + ".json"
        check(expected in valid, f"{name} has its expected document")
        what = f"iommuctl check {option} {name} --print-requirement"
        if not_yet:
            check(True, what, skip=not_yet)
            continue
        if option == "--qemu":
            with open(p) as f:
                doc, why = print_requirement(option, f.read().strip())
        else:
            doc, why = print_requirement(option, p)
        check(doc is not None and validator.is_valid(doc), f"{what} validates",
              why or errors(validator, doc))
        if doc is not None and os.path.exists(expected):
            with open(expected) as f:
                want = json.load(f)
            check(doc == want, f"{what} equals {os.path.basename(expected)}",
                  f"got  {json.dumps(doc)}\nwant {json.dumps(want)}")

    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
