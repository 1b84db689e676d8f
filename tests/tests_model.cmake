snf_add_test(test_model LABELS unit numerics)
snf_add_script_test(test_cli_simulate test_cli_simulate.sh LABELS cli)
# The README's main job end to end (trains a network: minutes under the sanitizers, so Release only).
snf_add_script_test(test_cli_run test_cli_run.sh LABELS "cli;sanitizer-skip")
# The model across the whole prior: every closure, nickel or none, front floors (issue 11).
snf_add_test(test_model_prior LABELS unit numerics)
# LC2's and snlc's reference tables from the command line alone (issue 11).
snf_add_script_test(test_cli_reference test_cli_reference.sh LABELS cli)
# Key points and classical estimates of light curves (issue 11).
snf_add_test(test_keypoints LABELS unit numerics)
snf_add_script_test(test_cli_keypoints test_cli_keypoints.sh LABELS cli)
