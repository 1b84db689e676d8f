# lib.sh: the set-up the shell tests share. Source it from a test script: . "${BASH_SOURCE%/*}/lib.sh"
# It sets -u and passive OpenMP waiting (ctest runs tests side by side: spinning threads stall each other).
#   snf_scratch NAME   $work: a fresh folder $TMPDIR/snf_NAME.XXXXXX, removed at exit together with the
#                      background job $bgpid (kill -9) if one is running
#   fail MESSAGE       prints "FAIL: MESSAGE" and exits 1
#   expect CODE PATTERN -- COMMAND...
#                      runs COMMAND: it must exit CODE and its output (stdout and stderr) contain PATTERN
#                      (grep); prints "ok (CODE): COMMAND -> " and the output's last line (first line with
#                      expect_line=head), cut to expect_width (160) characters
#   same_dset A.h5 B.h5 DATASET   bitwise equal datasets (h5diff -d 0)
#   same_datasets A.h5 B.h5 WHAT  every dataset of the two files has the same name, type, shape and bytes
#                      (/usr/bin/python3 with h5py); prints "N datasets byte-equal (WHAT)"
#   mpirun             the array "mpirun -np 2 --oversubscribe" (+ --allow-run-as-root as root)
#   snf_fixture NAME DEST
#                      copies a shared fixture file (tests/fixtures.sh: campaign.ini, campaign.h5, hydro.h5 of the
#                      small campaign; model.ini, model.h5 of the small model) to DEST. Under ctest it comes from
#                      $SNF_FIXTURES (BUILD/fixtures, built once per run by the tests the fixture requires); a missing
#                      file there fails the test naming it. Run by hand without SNF_FIXTURES, the fixture is built
#                      once beside DEST (in DEST's folder/.snf_fixtures). Needs $snforge and $src.

set -u
snf_lib_dir=$(cd "${BASH_SOURCE%/*}" && pwd)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

snf_scratch() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/snf_$1.XXXXXX") || { echo "FAIL: mktemp"; exit 1; }
  bgpid=
  trap '[ -n "${bgpid:-}" ] && kill -9 "$bgpid" 2>/dev/null; rm -rf "$work"' EXIT
}

fail() { echo "FAIL: $*"; exit 1; }

expect() { # expect CODE PATTERN -- command... (the output stays in $expect_out for further checks)
  local want=$1 pat=$2; shift 3
  local out; out=$("$@" 2>&1); local rc=$?
  expect_out=$out
  [ $rc -eq "$want" ] || fail "'$*' exited $rc, expected $want: $out"
  echo "$out" | grep -q -- "$pat" || fail "'$*' output lacks '$pat': $out"
  echo "ok ($rc): $* -> $(echo "$out" | "${expect_line:-tail}" -n 1 | cut -c1-"${expect_width:-160}")"
}

same_dset() { # same_dset A.h5 B.h5 DATASET: bitwise equal
  h5diff -d 0 "$1" "$2" "$3" "$3" > /dev/null 2>&1
}

# reseal FILE: rewrites a sealed text file's last line "# digest HEX" (fileio.h snf_atomic_write_sealed: 64-bit
# FNV-1a of every byte before it) after a test changed the file on purpose.
reseal() {
  /usr/bin/python3 - "$1" << 'PY'
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
lines = b.split(b'\n')
if len(lines) > 1 and lines[-2].startswith(b'# digest '):
    b = b'\n'.join(lines[:-2]) + b'\n'
h = 0xcbf29ce484222325
for c in b:
    h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
open(p, 'wb').write(b + b'# digest %016x\n' % h)
PY
}

same_datasets() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, h5py
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
    return out
a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and a[k].tobytes() == b[k].tobytes(), k
print(f"{len(a)} datasets byte-equal ({sys.argv[3]})")
PY
}

mpirun=(mpirun -np 2 --oversubscribe)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)

snf_fixture() { # snf_fixture NAME DEST
  local name=$1 dest=$2 kind dir
  case $name in
    campaign.ini|campaign.h5|hydro.h5) kind=campaign ;;
    model.ini|model.h5) kind=model ;;
    *) fail "snf_fixture: no fixture file '$name'" ;;
  esac
  if [ -n "${SNF_FIXTURES:-}" ]; then
    dir=$SNF_FIXTURES
    [ -s "$dir/$name" ] || fail "the shared fixture $dir/$name is missing (its set-up test fixture_$kind failed or did not \
run: run this test through ctest, or unset SNF_FIXTURES to build it here)"
  else
    dir=$(dirname -- "$dest")/.snf_fixtures
    if [ ! -s "$dir/$name" ]; then
      echo "snf_fixture: SNF_FIXTURES is not set: building the $kind fixture in $dir"
      bash "$snf_lib_dir/fixtures.sh" "${snforge:?}" "${src:?}" "$dir" "$kind" || fail "building the $kind fixture"
    fi
  fi
  cp -- "$dir/$name" "$dest" || fail "cannot copy the fixture $dir/$name to $dest"
}
