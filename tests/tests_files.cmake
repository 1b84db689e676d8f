# Files and inputs (issue 12: core/fileio.c, grids/h5*.c, train/observe_read.c, the read side of checkpoints):
# the text-table reader, observation plausibility, atomic writes, locks, HDF5 validation and the guard (unit);
# every case of tests/data/cases, concurrent runs and held files, stdout and write errors (cli); a full disk on a
# small tmpfs (cli, Skipped where it cannot mount one); libFuzzer targets for the observation and INI readers and
# an HDF5 mutation run over every HDF5 reader (fuzz, Skipped without clang / python3).
snf_add_test(test_files LABELS unit)
snf_add_script_test(test_files_cli test_files_cli.sh LABELS cli)
snf_add_script_test(test_files_full test_files_full.sh LABELS cli)
snf_add_script_test(test_files_fuzz test_files_fuzz.sh LABELS fuzz sanitizer-skip) # its own ASan build
snf_add_script_test(test_files_fuzz_h5 test_files_fuzz_h5.sh LABELS fuzz)
set_tests_properties(test_files_full test_files_fuzz test_files_fuzz_h5 PROPERTIES SKIP_RETURN_CODE 77)
