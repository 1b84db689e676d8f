# train/ trainer: data tensors, config, observations, metrics, checkpoints and bitwise resume (unit);
# the model file's field table: every snf_ckpt member round-trips, a missing field is named (unit);
# the CLI end to end: a tiny campaign trained to a quarter of the baseline's MAPE, kill -9 and resume,
# evaluate, predict on SN 1987A, and every input error (cli).
snf_add_test(test_train LABELS unit)
snf_add_script_test(test_train_cli test_train_cli.sh LABELS cli)
snf_add_test(test_checkpoint LABELS unit)
# [observe]: training rows drawn as real observations: each switch's effect, the shared encoding with
# inference, reproducible per-row draws, the config, and bitwise identity of a training with the switches off.
snf_add_test(test_observe_aug LABELS unit)
