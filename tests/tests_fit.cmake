# snforge fit: recovery of injected parameters, resume, bad inputs (issue 11).
snf_add_script_test(test_cli_fit test_cli_fit.sh LABELS "cli;sanitizer-skip")
