# The model file across releases (issue 19 item 4): a committed format-1 file (tests/data/model) is read by
# today's code, its /uq contents equal the file's own, its rewrite reads back bit for bit with no
# variable-length strings (unit), and predict --json on it is the release's answer byte for byte (cli).
snf_add_test(test_model_compat LABELS unit)
snf_add_script_test(test_model_compat_cli test_model_compat_cli.sh LABELS cli)
