#!/usr/bin/env bash
# test_files_full.sh SNFORGE SOURCE_DIR SHARED_DIR: a full disk, on a 1 MiB tmpfs. A campaign that does not fit
# fails with exit 1 and a message carrying errno's text (No space left on device), leaves no finished-looking
# FILE.h5, and completes once there is room again (the rerun resumes or restarts the .tmp). A command whose
# stdout lands on the full disk exits 1. Needs to mount a tmpfs (root): otherwise exit 77, which ctest reports
# as Skipped, never as Passed.
set -u
SNF=$1
SRC=$2
MNT=$(mktemp -d "${TMPDIR:-/tmp}/snf_full.XXXXXX")
if ! mount -t tmpfs -o size=1m snf_full "$MNT" 2>/dev/null; then
  rmdir "$MNT"
  echo "SKIP: cannot mount a tmpfs here (needs root): the full-disk test did not run"
  exit 77
fi
trap 'umount "$MNT" 2>/dev/null; rmdir "$MNT"' EXIT
nfail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; nfail=$((nfail + 1)); }
sed -e 's/^n_models = .*/n_models = 4096/' "$SRC/grids/87a_small.ini" > "$MNT/../snf_full_$$.ini"
INI=$MNT/../snf_full_$$.ini
out=$(cd "$MNT" && "$SNF" grid "$INI" -o c.h5 --threads 1 -q 2>&1); rc=$?
[ $rc = 1 ] && ok "grid on a full disk: exit 1" || bad "grid on a full disk: exit $rc"
echo "$out" | grep -q "No space left on device" && ok "message: $(echo "$out" | tail -1 | cut -c1-200)" || bad "no errno text: $out"
[ ! -f "$MNT/c.h5" ] && ok "no finished-looking c.h5" || bad "c.h5 exists"
dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null  # whatever room is left
out=$("$SNF" --help 2>&1 > "$MNT/help.txt"); rc=$?
rm -f "$MNT/fill" "$MNT/help.txt"
[ $rc = 1 ] && echo "$out" | grep -q "No space left on device" && ok "stdout on the full disk: exit 1" || bad "stdout on the full disk: exit $rc: $out"
mount -o remount,size=64m "$MNT"
out=$(cd "$MNT" && "$SNF" grid "$INI" -o c.h5 --threads 1 2>&1); rc=$?
[ $rc = 0 ] && [ -f "$MNT/c.h5" ] && ok "with room again the rerun completes: $(echo "$out" | tail -1 | cut -c1-160)" || bad "rerun: exit $rc: $out"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  r=$(/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(f['status'].shape[0], int(f.attrs['complete']), int((f['status'][:] == -100).sum()))" "$MNT/c.h5")
  [ "$r" = "4096 1 0" ] && ok "complete, no pending row" || bad "c.h5: $r"
fi
rm -f "$INI"
echo "$nfail failed"
[ $nfail = 0 ]
