# Ensemble sampler and autocorrelation time (solvers/, issue 11).
snf_add_test(test_mcmc LABELS unit numerics)
