#!/usr/bin/env bash
# test_model_compat_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: a model file written by the last release of format 1
# (tests/data/model/model_v1.h5, see its PROVENANCE) gives today's `snforge predict --json` the answer that
# release gave, byte for byte (model_v1.predict.json).
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch modelcompat
cd "$work" || exit 1
d="$src/tests/data/model"
"$snforge" predict "$d/model_v1.h5" "$src/validation/data/sn1987a/sn1987a_obs.csv" --json > p.json 2> p.err \
  || fail "predict on the format-1 file: $(cat p.err)"
cmp p.json "$d/model_v1.predict.json" || { diff p.json "$d/model_v1.predict.json"; fail "predict --json changed on the format-1 file"; }
echo "ok: predict --json on the format-1 model file is byte-identical to the release's"
# plan without --data reads the training file the model names (relative to where it was trained, absent
# here): exit 2 saying so and how to give another
expect 2 "give --data DATA.h5" -- "$snforge" plan "$d/model_v1.h5" --epochs 5
