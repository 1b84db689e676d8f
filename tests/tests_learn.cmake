# nn/: layer kernels, InceptionTime network, Adam and schedules (fast unit tests), on both convolution
# paths: test_learn forces the portable im2col + sgemm path (SNF_CONV_PORTABLE=1) on every CPU;
# test_learn_avx2 and test_learn_avx512 run the same checks on the direct AVX2 (forced also on AVX-512
# CPUs) and AVX-512 kernels, each Skipped on a CPU without them.
snf_add_test(test_learn LABELS unit ARGS portable)
add_test(NAME test_learn_avx2 COMMAND test_learn avx2 WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(test_learn_avx2 PROPERTIES LABELS unit TIMEOUT 600 SKIP_RETURN_CODE 77
                     ENVIRONMENT "OMP_WAIT_POLICY=passive")
add_test(NAME test_learn_avx512 COMMAND test_learn avx512 WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(test_learn_avx512 PROPERTIES LABELS unit TIMEOUT 600 SKIP_RETURN_CODE 77
                     ENVIRONMENT "OMP_WAIT_POLICY=passive")
# No OpenMP spinning on a busy machine (issue 21 item 1): the re-execution with OMP_WAIT_POLICY=passive, a user's
# setting kept, the default thread count from the idle cores.
snf_add_script_test(test_cli_omp test_cli_omp.sh LABELS cli)
