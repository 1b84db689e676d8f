# learn/: layer kernels, InceptionTime network, Adam and schedules (fast unit tests).
snf_add_test(test_learn LABELS unit)
