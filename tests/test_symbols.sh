#!/usr/bin/env bash
# test_symbols.sh LIBSNFORGE.so SOURCE_DIR: the shared library's boundary. What libsnforge.so exports
# (nm -D) must be exactly the functions that include/snforge/ (doors and their rooms' sub-headers) declare with SNF_API, and every
# function declared at file scope in a public header must carry SNF_API (a public function without it
# would be hidden and missing from the library; an internal one exported would leak).
set -u
lib=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v nm > /dev/null || { echo "nm missing"; exit 77; }
[ -f "$lib" ] || fail "no library $lib"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u > "$work/exported"
[ -s "$work/exported" ] || fail "nm listed no symbols in $lib"

# Declarations with SNF_API: the name before the first '(' (the declaration may continue on later lines).
cat "$src"/include/snforge/*.h "$src"/include/snforge/*/*.h | grep -E '^SNF_API ' | sed -E 's/\(.*//; s/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*$/\1/' \
  | sort -u > "$work/declared"
[ "$(wc -l < "$work/declared")" -gt 100 ] || fail "found only $(wc -l < "$work/declared") SNF_API declarations"

# File-scope function declarations that lack the macro.
bad=$(grep -nE '^[A-Za-z_][^(]*\bsnf_[A-Za-z0-9_]+[[:space:]]*\(' "$src"/include/snforge/*.h "$src"/include/snforge/*/*.h \
      | grep -vE ':(typedef|struct|enum|union|static|SNF_API|#)')
[ -z "$bad" ] || fail "public declarations without SNF_API:
$bad"

leak=$(comm -23 "$work/exported" "$work/declared")
missing=$(comm -13 "$work/exported" "$work/declared")
[ -z "$leak" ] || fail "exported but declared in no public header ($(echo "$leak" | wc -l)):
$(echo "$leak" | head -20)"
[ -z "$missing" ] || fail "declared with SNF_API but not exported (not defined in the library?) ($(echo "$missing" | wc -l)):
$(echo "$missing" | head -20)"
echo "ok: libsnforge.so exports exactly the $(wc -l < "$work/exported") functions the public headers declare"
