#!/usr/bin/env bash
# test_outputs_full.sh SNFORGE SOURCE_DIR SHARED_DIR: every command that writes, on a full disk and on a
# read-only folder (a 4 MiB tmpfs; Skipped, exit 77, where it cannot be mounted). For each writing command:
#  - a new output on a full disk: exit 1 with "No space left on device", never a crash (no signal at exit:
#    a failed HDF5 close once crashed libhdf5's exit handler), nothing left looking finished;
#  - an earlier output rerun on the full disk: its files byte for byte as they were;
#  - the same two on the tmpfs remounted read-only: exit 1 with "Read-only file system", nothing changed.
snforge=$1
src=$2
shared=$3
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/outputs_lib.sh"
snf_scratch outfull
cd "$work" || exit 1
mkdir full
mount -t tmpfs -o size=4m tmpfs full 2> /dev/null || { echo "SKIP: cannot mount a tmpfs here (needs root)"; exit 77; }
trap 'umount -l "$work/full" "$work/mid" 2> /dev/null; rm -rf "$work"' EXIT
outputs_fixtures
tried=0
passed=0
ok() { tried=$((tried + 1)); passed=$((passed + 1)); echo "ok: $*"; }
tree_sum() { find "$@" -type f ! -name '*.lock' ! -name '*.tmp' -exec md5sum {} + 2> /dev/null | sort; }
ext() { case $1 in grid|import|train|finetune) echo .h5;; keypoints|simulate|predict) echo .csv;; hydro) echo .h5;; *) echo "";; esac; }
# the file that says an output is complete
finished() { case $1 in fit) echo summary.json;; explain) echo summary.md;; evaluate) echo metrics.csv;;
  curriculum) echo results.csv;; search) echo trials.csv;; compare) echo report.md;; *) echo "";; esac; }
fill() { dd if=/dev/zero of=full/filler bs=4k status=none 2> /dev/null; dd if=/dev/zero of=full/filler2 bs=512 status=none 2> /dev/null; }
check_failed() { # check_failed NAME OUT LOG REASON
  local w=$1 out=$2 log=$3 rc=$4 why=$5 f
  [ "$rc" -eq 1 ] || fail "$w: exit $rc on a $why disk, expected 1: $(tail -2 "$log")"
  f=$(finished "$w")
  if [ -n "$f" ]; then [ -f "$out/$f" ] && fail "$w left $out/$f looking finished on a $why disk"
  else for f in $(out_paths "$w" "$out"); do [ -f "$f" ] && fail "$w left $f looking finished on a $why disk"; done; fi
  return 0
}
# a campaign that fills the disk midway: exit 1 naming the full disk (not a consequential HDF5 error); with room
# again, the same command finishes (a .tmp whose last writes never reached the disk is started over, never
# left stuck: its addresses past the file's end once failed every rerun with "addr overflow")
mkdir mid
mount -t tmpfs -o size=300k tmpfs mid || fail "cannot mount a second tmpfs"
cp "$src/grids/87a_small.ini" mid/big.ini
"$snforge" grid mid/big.ini -o mid/big.h5 -q --threads 2 > mid.log 2>&1; rc=$?
[ "$rc" -eq 1 ] && grep -q "No space left on device" mid.log || fail "grid filling the disk midway: exit $rc: $(tail -2 mid.log)"
[ ! -f mid/big.h5 ] || fail "grid filling the disk midway left big.h5 looking finished"
mount -o remount,size=20m mid || fail "cannot enlarge the tmpfs"
"$snforge" grid mid/big.ini -o mid/big.h5 -q --threads 2 > mid2.log 2>&1 || fail "grid after the disk was freed: $(tail -3 mid2.log)"
[ -f mid/big.h5 ] && [ ! -e mid/big.h5.tmp ] || fail "grid after the disk was freed: no complete big.h5"
umount -l mid
ok "grid: a disk that fills midway is named; with room again the rerun finishes"

for w in $writers; do
  rm -rf full/* full/.[!.]* 2> /dev/null
  out=full/$w$(ext "$w")
  old=full/old_$w$(ext "$w")
  write_cmd "$w" "$old" > first.log 2>&1 || fail "$w: the earlier run on the tmpfs failed: $(tail -3 first.log)"
  before=$(tree_sum $(out_paths "$w" "$old"))
  fill
  write_cmd "$w" "$out" > new.log 2>&1; rc=$?
  check_failed "$w" "$out" new.log $rc full
  grep -q "No space left on device" new.log || fail "$w on a full disk does not say why: $(tail -2 new.log)"
  grep -q "HDF5-DIAG" new.log && fail "$w printed HDF5's raw error stack"
  grep -q "No space left on device.*No space left on device" new.log && fail "$w says the reason twice: $(tail -2 new.log)"
  case $w in train|finetune) [ -e "$out.tmp" ] && fail "$w left its staged $out.tmp on a full disk";; esac
  ok "$w: a new output on a full disk: exit 1 with the reason, nothing left looking finished"
  [ "$w" = fit ] && rm -f "$old/posterior.csv"
  write_cmd "$w" "$old" > again.log 2>&1; rc=$?
  [ $rc -lt 2 ] || fail "$w rerun on a full disk: exit $rc: $(tail -2 again.log)"
  [ "$w" = fit ] && before=$(echo "$before" | grep -v posterior.csv) && after=$(tree_sum "$old" | grep -v posterior.csv) || after=$(tree_sum $(out_paths "$w" "$old"))
  [ "$before" = "$after" ] || fail "$w rerun on a full disk changed the earlier output: $(tail -2 again.log)"
  ok "$w: the earlier output rerun on a full disk is untouched (exit $rc)"
  rm -f full/filler full/filler2
  before=$(tree_sum $(out_paths "$w" "$old"))
  mount -o remount,ro full || fail "cannot remount read-only"
  ro=full/ro_$w$(ext "$w")
  write_cmd "$w" "$ro" > ro.log 2>&1; rc=$?
  check_failed "$w" "$ro" ro.log $rc read-only
  grep -q "Read-only file system" ro.log || fail "$w on a read-only folder does not say why: $(tail -2 ro.log)"
  write_cmd "$w" "$old" > ro2.log 2>&1; rc=$?
  [ $rc -lt 2 ] || fail "$w rerun on a read-only folder: exit $rc: $(tail -2 ro2.log)"
  [ "$before" = "$(tree_sum $(out_paths "$w" "$old"))" ] || fail "$w rerun on a read-only folder changed the earlier output"
  mount -o remount,rw full
  ok "$w: read-only folder: exit 1 with the reason, the earlier output untouched"
done
echo "test_outputs_full: $passed of $tried scenario groups passed"
