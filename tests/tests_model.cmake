snf_add_test(test_model LABELS unit numerics)
snf_add_script_test(test_cli_simulate test_cli_simulate.sh LABELS cli)
