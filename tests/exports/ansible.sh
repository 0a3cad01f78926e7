#!/bin/bash
# The Ansible local fact contrib/ansible/iommu.fact and the sample playbook
# contrib/ansible/group-by-capability.yml (TAP): the fact prints the host document, falls back to
# --offline when the daemon is unreachable and prints {} when iommuctl is missing or fails; with
# Debian's ansible-core, "ansible -m setup" shows it as ansible_local.iommu and the playbook puts
# fixture hosts into the documented groups.
# Requires: python3
set -u

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
IOMMUCTL=$(cd "$(dirname "$IOMMUCTL")" && pwd)/$(basename "$IOMMUCTL")
srcdir=$(cd "$srcdir" && pwd)
fx="$srcdir/tests/fixtures"
fact="$srcdir/contrib/ansible/iommu.fact"
playbook="$srcdir/contrib/ansible/group-by-capability.yml"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=${PYTHON3:-python3}
# Reproducible documents; the fact's own variables come from this test only.
export SOURCE_DATE_EPOCH=1700000000
unset IOMMUCTL_ARGS
export -n IOMMUCTL

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"

# fact_dir DIR FIXTURE [IOMMUCTL]: DIR/iommu.fact, a copy of the fact pointing at FIXTURE.
fact_dir() {
	mkdir -p "$1"
	sed -e "s|^IOMMUCTL=\${IOMMUCTL:-}\$|IOMMUCTL=\${IOMMUCTL:-${3:-$IOMMUCTL}}|" \
		-e "s|^IOMMUCTL_ARGS=\${IOMMUCTL_ARGS:-}\$|IOMMUCTL_ARGS=\${IOMMUCTL_ARGS:-\"--sysroot $2\"}|" \
		"$fact" >"$1/iommu.fact"
	chmod +x "$1/iommu.fact"
}

# ---- the fact script alone -----------------------------------------------------------------

intel="$fx/x86-q72-k612-b-intel-sm"

[ -x "$fact" ] && head -n1 "$fact" | grep -qx '#!/bin/sh'
t $? "contrib/ansible/iommu.fact is an executable sh script"

"$IOMMUCTL" --quiet --sysroot "$intel" dump --compact >"$tmp/doc.json" 2>/dev/null
IOMMUCTL="$IOMMUCTL" IOMMUCTL_ARGS="--sysroot $intel" "$fact" >"$tmp/fact.json" 2>"$tmp/fact.err"
st=$?
[ $st = 0 ] && cmp -s "$tmp/doc.json" "$tmp/fact.json" && [ ! -s "$tmp/fact.err" ]
t $? "the fact prints the host document (IOMMUCTL, IOMMUCTL_ARGS from the environment)" ||
	diag "$tmp/fact.err"

fact_dir "$tmp/copy" "$intel"
"$tmp/copy/iommu.fact" >"$tmp/copy.json" 2>"$tmp/copy.err" &&
	cmp -s "$tmp/doc.json" "$tmp/copy.json"
t $? "a copy of the fact with its defaults set prints the same document" || diag "$tmp/copy.err"

# A stand-in iommuctl: exit 69 (daemon unreachable) unless --offline is given.
cat >"$tmp/fake-iommuctl" <<'EOF'
#!/bin/sh
for a; do
	[ "$a" = --offline ] && { echo '{"schema_version":1,"fake":"offline"}'; exit 0; }
done
echo "iommuctl: cannot reach iommu-capd at /nowhere: No such file or directory" >&2
exit 69
EOF
chmod +x "$tmp/fake-iommuctl"
IOMMUCTL="$tmp/fake-iommuctl" "$fact" >"$tmp/out" 2>"$tmp/err" &&
	grep -qx '{"schema_version":1,"fake":"offline"}' "$tmp/out"
t $? "when the daemon is unreachable (exit 69) the fact probes with --offline" || diag "$tmp/out"

IOMMUCTL="$tmp/no-such-iommuctl" "$fact" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st = 0 ] && grep -qx '{}' "$tmp/out" && grep -q 'no-such-iommuctl is not installed' "$tmp/err"
t $? "a missing iommuctl gives {} and exit 0, with the reason on stderr ($(head -n1 "$tmp/err"))"

IOMMUCTL="" PATH=/nonexistent "$fact" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ -x /usr/bin/iommuctl ] || [ -x /usr/local/bin/iommuctl ]; then
	skip "iommuctl is installed in /usr: cannot test a host without it"
else
	[ $st = 0 ] && grep -qx '{}' "$tmp/out" && grep -q 'iommuctl is not installed' "$tmp/err"
	t $? "no iommuctl on PATH nor in /usr/bin, /usr/local/bin gives {} and exit 0"
fi

IOMMUCTL="$IOMMUCTL" IOMMUCTL_ARGS="--sysroot $tmp/no-such-root" "$fact" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st = 0 ] && grep -qx '{}' "$tmp/out" && grep -q 'dump failed (exit status 1)' "$tmp/err"
t $? "a failing iommuctl gives {} and exit 0, with the reason on stderr"

# ---- with ansible-core ---------------------------------------------------------------------

if ! command -v ansible >/dev/null || ! command -v ansible-playbook >/dev/null; then
	for _ in $(seq 12); do
		skip "ansible is not installed (Debian package ansible-core; tools/setup test installs it)"
	done
	echo "1..$n"
	[ "$fail" = 0 ]
	exit
fi

# Ansible writes under $HOME only; no configuration of this machine is read.
mkdir -p "$tmp/home"
: >"$tmp/ansible.cfg"
export HOME="$tmp/home" ANSIBLE_CONFIG="$tmp/ansible.cfg" ANSIBLE_NOCOLOR=1 \
	ANSIBLE_LOCAL_TEMP="$tmp/home/.ansible/tmp" ANSIBLE_RETRY_FILES_ENABLED=0
echo "# $(ansible --version 2>/dev/null | sed -n 1p)"

# setup_json FACT_DIR OUT: the result of the ad-hoc setup module on localhost, as JSON (the
# one-line output is "localhost | SUCCESS => {...}").
setup_json() {
	local st
	ansible localhost -c local -i localhost, -e ansible_python_interpreter="$PY" -o \
		-m setup -a "filter=ansible_local fact_path=$1" >"$2.out" 2>"$2.err"
	st=$?
	sed -n 's/^localhost | SUCCESS => //p' "$2.out" >"$2"
	[ $st = 0 ] && [ -s "$2" ]
}
# py FILE EXPR: EXPR evaluated with d = the JSON of FILE, printed as JSON.
py() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$1" "$2" 2>&1 | tail -n1
}
LOCAL='d["ansible_facts"]["ansible_local"]'

setup_json "$tmp/copy" "$tmp/setup.json"
t $? "ansible localhost -m setup -a 'filter=ansible_local fact_path=DIR' succeeds" ||
	diag "$tmp/setup.json.err"
v=$(py "$tmp/setup.json" "${LOCAL}[\"iommu\"][\"units\"][0][\"capabilities\"][\"ssid_bits\"]")
[ "$v" = 1 ]
t $? "ansible_local.iommu.units[0].capabilities.ssid_bits is 1 for $(basename "$intel") (got $v)"
v=$(py "$tmp/setup.json" "${LOCAL}[\"iommu\"] == json.load(open(\"$tmp/doc.json\"))")
[ "$v" = true ]
t $? "ansible_local.iommu is the whole host document (got $v)"

# A fact that cannot run iommuctl must not break fact gathering.
fact_dir "$tmp/broken" "$intel" "$tmp/no-such-iommuctl"
setup_json "$tmp/broken" "$tmp/setup-broken.json"
st=$?
v=$(py "$tmp/setup-broken.json" "${LOCAL}[\"iommu\"]")
[ $st = 0 ] && [ "$v" = '{}' ]
t $? "without iommuctl, fact gathering succeeds and ansible_local.iommu is {} (got $v)"

# The playbook: one local "host" per fixture, each with its own copy of the fact.
ansible-playbook --syntax-check -i localhost, "$playbook" >"$tmp/syntax" 2>&1
t $? "ansible-playbook --syntax-check accepts the sample playbook" || diag "$tmp/syntax"

declare -A hosts=(
	[intel]=x86-q72-k612-b-intel-sm
	[amd]=x86-q72-k612-c-amd
	[smmu_full]=smmuv3-props-full
	[smmu_unknown]=arm64-q72-k612-e-smmuv3
	[virtio]=x86-q72-k612-d-virtio-iommu
	[no_iommu]=x86-q72-k61-d-virtio-iommu
)
{
	echo "[fleet]"
	for h in "${!hosts[@]}"; do
		fact_dir "$tmp/facts-$h" "$fx/${hosts[$h]}"
		echo "$h iommu_fact_path=$tmp/facts-$h"
	done
	fact_dir "$tmp/facts-no_fact" "$intel" "$tmp/no-such-iommuctl"
	echo "no_fact iommu_fact_path=$tmp/facts-no_fact"
	# A stored document (a fact file may be plain JSON) whose unit does nesting and dirty
	# tracking, which no fixture has.
	mkdir -p "$tmp/facts-nesting"
	"$IOMMUCTL" --quiet --sysroot "$fx/smmuv3-props-full" dump --compact |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
for u in d["units"]:
    u["capabilities"]["nesting"] = u["capabilities"]["dirty_tracking"] = True
json.dump(d, sys.stdout)' >"$tmp/facts-nesting/iommu.fact"
	echo "nesting iommu_fact_path=$tmp/facts-nesting"
	echo "[all:vars]"
	echo "ansible_connection=local"
	echo "ansible_python_interpreter=$PY"
} >"$tmp/inventory"

# The sample playbook, then plays of this test that record, as files, each host's groups and
# the hosts a play on "hosts: iommu_pasid_20" reaches.
mkdir -p "$tmp/result"
cat >"$tmp/test-play.yml" <<EOF
- import_playbook: $playbook

- name: Record the groups
  hosts: all
  gather_facts: false
  tasks:
    - name: Groups
      ansible.builtin.copy:
        content: "{{ group_names | select('match', 'iommu_') | sort | to_json }}"
        dest: "$tmp/result/groups-{{ inventory_hostname }}"

- name: Record the hosts of iommu_pasid_20
  hosts: iommu_pasid_20
  gather_facts: false
  tasks:
    - name: Hosts
      ansible.builtin.copy:
        content: ""
        dest: "$tmp/result/pasid20-{{ inventory_hostname }}"
EOF
ansible-playbook -i "$tmp/inventory" "$tmp/test-play.yml" >"$tmp/play.out" 2>"$tmp/play.err"
st=$?
sed -n '/^PLAY RECAP/,$p' "$tmp/play.out" >"$tmp/recap"
ok_hosts=$(grep -cE '^[a-z_]+ +: ok=[1-9][0-9]* +changed=[0-9]+ +unreachable=0 +failed=0 ' \
	"$tmp/recap")
[ $st = 0 ] && [ "$ok_hosts" = 8 ]
t $? "the sample playbook runs on 8 fixture hosts without failure (exit $st, $ok_hosts ok)" ||
	{
		diag "$tmp/play.err"
		diag "$tmp/recap"
	}

"$PY" - "$tmp/result" >"$tmp/groups.out" 2>&1 <<'EOF'
import json, os, sys
want = {
    "intel": ["iommu_model_intel_vtd", "iommu_pasid_1"],
    "amd": ["iommu_model_amd_vi", "iommu_pasid_1"],
    "smmu_full": ["iommu_iommufd", "iommu_model_arm_smmu_v3", "iommu_pasid_20"],
    "smmu_unknown": ["iommu_model_arm_smmu_v3", "iommu_pasid_unknown"],
    "virtio": ["iommu_model_virtio_iommu", "iommu_pasid_0"],
    "no_iommu": ["iommu_none"],
    "no_fact": ["iommu_no_fact"],
    "nesting": ["iommu_dirty_tracking", "iommu_iommufd", "iommu_model_arm_smmu_v3",
                "iommu_nesting", "iommu_pasid_20"],
}
bad = 0
for h, w in sorted(want.items()):
    try:
        g = json.load(open(os.path.join(sys.argv[1], "groups-" + h)))
    except OSError as e:
        g = "(%s)" % e.strerror
    if g != w:
        print("%s: groups %s, expected %s" % (h, g, w))
        bad = 1
sys.exit(bad)
EOF
t $? "group_by puts every host into the documented groups" || diag "$tmp/groups.out"

v=$(cd "$tmp/result" && echo pasid20-*)
[ "$v" = "pasid20-nesting pasid20-smmu_full" ]
t $? "a later play on hosts: iommu_pasid_20 reaches nesting and smmu_full only (got $v)"

# The sample's own plays: the report and the example on iommu_pasid_20.
grep -qF '"msg": [' "$tmp/play.out" && grep -qF 'smmu_full can take it' "$tmp/play.out"
t $? "the sample's plays print each host's groups and the hosts of iommu_pasid_20" ||
	diag "$tmp/play.out" 40

# The collection playbook: one document per host with a fact, the fixture's document each.
collect="$srcdir/contrib/ansible/collect-host-documents.yml"
(cd "$tmp" && ansible-playbook -i "$tmp/inventory" "$collect" -e iommu_documents_dir=docs) \
	>"$tmp/collect.out" 2>"$tmp/collect.err"
st=$?
"$PY" - "$tmp/docs" "$IOMMUCTL" "$fx" >"$tmp/collect.check" 2>&1 <<EOF
import json, os, subprocess, sys
docs, ctl, fx = sys.argv[1:]
hosts = {$(for h in "${!hosts[@]}"; do printf '"%s": "%s", ' "$h" "${hosts[$h]}"; done)}
got = sorted(os.listdir(docs))
want = sorted(h + ".json" for h in hosts) + ["nesting.json"]
if got != sorted(want):
    sys.exit("files %s, expected %s" % (got, sorted(want)))
for h, f in hosts.items():
    doc = json.loads(subprocess.run([ctl, "--quiet", "--sysroot", os.path.join(fx, f), "dump"],
                                    capture_output=True, check=True).stdout)
    if json.load(open(os.path.join(docs, h + ".json"))) != doc:
        sys.exit("%s.json is not the document of %s" % (h, f))
EOF
[ $st = 0 ] && [ ! -s "$tmp/collect.check" ] && grep -q 'no IOMMU host document' "$tmp/collect.out"
t $? "collect-host-documents.yml stores each host's document (none for the host without a fact)" ||
	{
		diag "$tmp/collect.check"
		diag "$tmp/collect.err"
	}

if "$IOMMUCTL" --help 2>/dev/null | grep -q '^  baseline '; then
	"$IOMMUCTL" baseline "$tmp/docs/intel.json" "$tmp/docs/amd.json" >"$tmp/pool.json" \
		2>"$tmp/pool.err" &&
		"$IOMMUCTL" --sysroot "$fx/x86-q72-k612-c-amd" check "$tmp/pool.json" >"$tmp/check.out" 2>&1
	t $? "iommuctl baseline takes the collected documents; a pool member passes check" ||
		diag "$tmp/pool.err"
else
	skip "iommuctl has no baseline command yet"
fi

echo "1..$n"
[ "$fail" = 0 ]
