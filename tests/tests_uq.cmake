# infer/ uncertainty (uq.h): the Gaussian NLL and its gradients, mixtures, coverage/NLL by hand, the
# variance scale, MC dropout, the OOD score and a toy heteroscedastic deep ensemble (unit); the CLI
# end to end: ensemble training, predict --json, evaluate's calibration columns (cli).
snf_add_test(test_uq LABELS unit)
snf_add_script_test(test_uq_cli test_uq_cli.sh LABELS cli)
# the honesty rules on real objects (issue 22 item 6): RSG plateaus and a distance error flagged OOD (the
# nearest-curve test), no usable series = an error with a message, every answered catalogue row with its flags
snf_add_script_test(test_real_honesty test_real_honesty.sh LABELS cli)
