# Hydro import and the model-vs-hydro comparison (grids/hydro/, validation/): readers on real
# sample files, resampling against analytic curves, malformed input (unit); the import/compare CLI with exit codes
# and file:line messages (cli); a libFuzzer run of the column parser with clang when installed (fuzz).
snf_add_test(test_hydro LABELS unit)
snf_add_script_test(test_hydro_cli test_hydro_cli.sh LABELS cli)
snf_add_script_test(test_hydro_fuzz test_hydro_fuzz.sh LABELS fuzz)
set_tests_properties(test_hydro_fuzz PROPERTIES SKIP_RETURN_CODE 77) # no clang: Skipped, not Passed
