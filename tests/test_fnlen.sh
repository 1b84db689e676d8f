#!/usr/bin/env bash
# test_fnlen.sh SNFORGE SRC: no function in cli/ is longer than 100 lines (issue 19 item 7: a command is
# options, one library call, printing; the work lives in the library). First checks the checker: a
# 100-line function passes and a 101-line one (with braces in strings and comments) is reported.
set -u
src=$2
command -v python3 > /dev/null || { echo "python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/snf_fnlen.XXXXXX); trap 'rm -rf "$tmp"' EXIT
gen() { # gen N: a function of N lines, signature and closing brace included
  { echo 'static const char *s = "{";'; echo 'static int f(int a)'; echo '{'
    for ((i = 0; i < $1 - 4; i++)); do echo '    a += 1; /* } */ if (a) { a--; } // {'; done
    echo '    return a;'; echo '}'; echo 'struct t { int x; };'; } > "$tmp/f.c"
}
gen 100; python3 "$src/tests/fnlen.py" --max 100 "$tmp/f.c" > "$tmp/out" \
  || { echo "FAIL: a 100-line function was reported"; cat "$tmp/out"; exit 1; }
gen 101; python3 "$src/tests/fnlen.py" --max 100 "$tmp/f.c" > "$tmp/out" \
  && { echo "FAIL: a 101-line function was not reported"; exit 1; }
grep -q ':2 f 101$' "$tmp/out" || { echo "FAIL: wrong report for the 101-line function"; cat "$tmp/out"; exit 1; }
python3 "$src/tests/fnlen.py" --max 100 "$src/cli" || { echo "FAIL: cli/ functions longer than 100 lines"; exit 1; }
echo "PASS"
