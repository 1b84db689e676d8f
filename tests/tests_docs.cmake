# README.md and --help figures against the programs (closure table, Popov exponents, benchmark steps,
# campaigns, option lists, documents cited): tests/test_readme.sh. Needs test_model and bench_model built.
snf_add_script_test(test_readme test_readme.sh LABELS "cli;docs;sanitizer-skip")
