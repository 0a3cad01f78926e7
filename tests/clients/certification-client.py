#!/usr/bin/python3
# certification-client.py ADDRESS IDL-FILE: the org.varlink.certification sequence through
# python3-varlink's client (which parses the served interface with its own scanner and filters
# every reply through it), then calls that break the rules over a raw connection, which the
# server (tests/clients/vl-certification on the daemon's varlink layer) must refuse. Prints
# "ok - ..." / "not ok - ..." lines (certification.sh numbers them) and "# ..." details.
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CERT = "org.varlink.certification"


def check(ok, what, detail=""):
    print(("ok" if ok else "not ok") + " - " + what, flush=True)
    if not ok:
        for line in str(detail).splitlines()[:30]:
            print("# " + line, flush=True)
    return ok


def python_client(address, idl_text):
    import varlink
    client = varlink.Client.new_with_address(address)
    with client.open("org.varlink.service") as svc:
        desc = svc.GetInterfaceDescription(CERT)["description"]
        check(desc == idl_text, "GetInterfaceDescription serves the upstream text verbatim",
              common.first_difference(desc, idl_text))
        info = svc.GetInfo()
        check(info["interfaces"] == [CERT, "org.varlink.service"], "GetInfo lists the interface",
              info)
    log = []
    try:
        with client.open(CERT) as con:
            cid = con.Start()["client_id"]
            r = con.Test01(cid)
            log.append(r)
            r = con.Test02(cid, r["bool"])
            log.append(r)
            r = con.Test03(cid, r["int"])
            log.append(r)
            r = con.Test04(cid, r["float"])
            log.append(r)
            r = con.Test05(cid, r["string"])
            log.append(r)
            r = con.Test06(cid, r["bool"], r["int"], r["float"], r["string"])
            log.append(r)
            r = con.Test07(cid, r["struct"])
            log.append(r)
            r = con.Test08(cid, r["map"])
            log.append(r)
            r = con.Test09(cid, r["set"])
            log.append(r)
            more = [x["string"] for x in con.Test10(cid, r["mytype"], _more=True)]
            log.append(more)
            check(more == [f"Reply number {i}" for i in range(1, 11)],
                  "python client: Test10 with more gets ten replies", more)
            con.Test11(cid, more, _oneway=True)
            end = con.End(cid)
            check(end == {"all_ok": True}, "python client: the whole sequence, End is all_ok",
                  f"{end}\n{log}")
    except Exception as e:
        check(False, "python client: the whole sequence, End is all_ok", f"{e!r}\n{log}")


class Seq:
    """A raw client walking the sequence with the replies the server gives."""

    def __init__(self, path):
        self.c = common.Raw(path)
        self.replies = {}

    def call(self, member, params=None, **flags):
        return self.c.call(f"{CERT}.{member}", params, **flags)

    def start(self):
        self.id = self.call("Start")["parameters"]["client_id"]
        return self.id

    def walk_to(self, last):
        """Start and the right calls up to and including Test<last> (<= 9)."""
        self.start()
        r = self.call("Test01", {"client_id": self.id})["parameters"]
        steps = [("Test02", lambda r: {"bool": r["bool"]}), ("Test03", lambda r: {"int": r["int"]}),
                 ("Test04", lambda r: {"float": r["float"]}), ("Test05", lambda r: {"string": r["string"]}),
                 ("Test06", lambda r: dict(r)), ("Test07", lambda r: {"struct": r["struct"]}),
                 ("Test08", lambda r: {"map": r["map"]}), ("Test09", lambda r: {"set": r["set"]})]
        for name, f in steps[:last - 1]:
            r = self.call(name, dict(f(r), client_id=self.id))
            if "error" in r:
                raise RuntimeError(f"{name}: {r}")
            r = r["parameters"]
        return r


def expect_error(r, error, what, params=None):
    ok = isinstance(r, dict) and r.get("error") == error and (
        params is None or r.get("parameters") == params)
    return check(ok, what, json.dumps(r)[:1000])


def raw_checks(path):
    s = Seq(path)
    r = s.call("Test01", {"client_id": "0123"})
    expect_error(r, f"{CERT}.ClientIdError", "an unknown client_id is ClientIdError")

    s.start()
    r = s.call("Test02", {"client_id": s.id, "bool": True})
    expect_error(r, f"{CERT}.CertificationError", "a call out of sequence is CertificationError",
                 {"wants": {"method": f"{CERT}.Test01"}, "got": {"method": f"{CERT}.Test02"}})
    r = s.call("Test01", {"client_id": s.id})
    check(r.get("parameters") == {"bool": True}, "after it the right call still works", r)
    r = s.call("Test02", {"client_id": s.id, "bool": False})
    expect_error(r, f"{CERT}.CertificationError", "a wrong value is CertificationError with wants and got",
                 {"wants": {"method": f"{CERT}.Test02", "parameters": {"client_id": s.id, "bool": True}},
                  "got": {"method": f"{CERT}.Test02", "parameters": {"client_id": s.id, "bool": False}}})
    r = s.call("Test03", {"client_id": s.id, "int": 1})
    expect_error(r, f"{CERT}.ClientIdError", "a failed client is forgotten")

    r = s.call("Start", {}, more=True)
    expect_error(r, f"{CERT}.CertificationError", "Start with more is CertificationError")

    s.walk_to(3)
    r = s.call("Test04", {"client_id": s.id, "float": 1})
    check(r.get("parameters") == {"string": "ping"}, "Test04 takes the float 1.0 written as 1 (Go)", r)

    mt = s.walk_to(9)["mytype"]
    r = s.call("Test10", {"client_id": s.id, "mytype": mt})
    expect_error(r, f"{CERT}.CertificationError", "Test10 without more is CertificationError")

    # The layer checks parameters against the IDL, the certification's constructs included.
    bad_params = [
        ("Test09", "set", {"one": {}, "two": {}, "three": {"x": 1}},
         "a [string]() set member with a field"),
        ("Test09", "set", ["one", "two", "three"], "a [string]() set given as an array"),
        ("Test10", "mytype", dict(mt, interface=dict(mt["interface"], foo=[None, {"a": "qux"}])),
         "a ?[]?[string](foo, bar, baz) value outside the enum"),
        ("Test10", "mytype", dict(mt, interface=dict(mt["interface"], foo=[None, ["foo"]])),
         "a ?[]?[string](foo, bar, baz) element that is not a map"),
        ("Test10", "mytype", dict(mt, enum="four"), "an enum value not declared"),
        ("Test10", "mytype", dict(mt, nullable_array_struct=[{"first": 1}]),
         "a ?[](first: int, second: string) element lacking a field"),
        ("Test10", "mytype", dict(mt, struct={"first": 1.5, "second": "2"}), "1.5 for an int"),
        ("Test10", "mytype", {k: v for k, v in mt.items() if k != "object"}, "a missing object member"),
        ("Test10", "mytype", dict(mt, object=[1]), "an array for an object"),
    ]
    for member, field, value, what in bad_params:
        s2 = Seq(path)
        s2.walk_to(9 if member == "Test10" else 8)
        flags = {"more": True} if member == "Test10" else {}
        r = s2.call(member, {"client_id": s2.id, field: value}, **flags)
        expect_error(r, "org.varlink.service.InvalidParameter", f"InvalidParameter: {what}",
                     {"parameter": field})
        s2.c.close()
    good = dict(mt, nullable=None, nullable_array_struct=None,
                interface=dict(mt["interface"], foo=[None, {"x": "baz"}, None, {}]))
    s2 = Seq(path)
    s2.walk_to(9)
    r = s2.call("Test10", {"client_id": s2.id, "mytype": good}, more=True)
    expect_error(r, f"{CERT}.CertificationError",
                 "a conforming but different Test10 value passes the IDL, fails the check")

    s.walk_to(9)
    r = s.call("Test10", {"client_id": s.id, "mytype": mt}, more=True)
    replies = [r]
    while isinstance(r, dict) and r.get("continues"):
        r = s.c.recv()
        replies.append(r)
    check(len(replies) == 10 and all(x.get("continues") is True for x in replies[:9]) and
          "continues" not in replies[9] and
          [x["parameters"]["string"] for x in replies] == [f"Reply number {i}" for i in range(1, 11)],
          "Test10 with more: nine 'continues' replies and a last one", json.dumps(replies)[:1000])
    got = [x["parameters"]["string"] for x in replies]
    r = s.call("Test11", {"client_id": s.id, "last_more_replies": got})
    expect_error(r, f"{CERT}.CertificationError", "Test11 without oneway is CertificationError")

    s.walk_to(9)
    s.call("Test10", {"client_id": s.id, "mytype": mt}, more=True)
    while s.c.recv().get("continues"):
        pass
    s.c.send({"method": f"{CERT}.Test11", "oneway": True,
              "parameters": {"client_id": s.id, "last_more_replies": got[::-1]}})
    r = s.call("End", {"client_id": s.id})
    expect_error(r, f"{CERT}.ClientIdError",
                 "a wrong oneway Test11 gets no reply, and End then fails")

    s.walk_to(9)
    s.call("Test10", {"client_id": s.id, "mytype": mt}, more=True)
    while s.c.recv().get("continues"):
        pass
    s.c.send({"method": f"{CERT}.Test11", "oneway": True,
              "parameters": {"client_id": s.id, "last_more_replies": got}})
    r = s.call("End", {"client_id": s.id})
    check(r == {"parameters": {"all_ok": True}}, "the right oneway Test11 gets no reply, End is all_ok", r)
    r = s.call("End", {"client_id": s.id})
    expect_error(r, f"{CERT}.ClientIdError", "after End the client_id is gone")
    s.c.close()


def main():
    address, idl_path = sys.argv[1], sys.argv[2]
    with open(idl_path) as f:
        idl_text = f.read()
    python_client(address, idl_text)
    try:
        raw_checks(address[len("unix:"):])
    except (OSError, socket.timeout, RuntimeError, KeyError, TypeError, AttributeError) as e:
        check(False, "the raw checks ran through", repr(e))


if __name__ == "__main__":
    main()
