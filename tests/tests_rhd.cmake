# The radiation-hydrodynamics code (rhd/, issue 23): Saha, EOS, OPAL, Sod, Sedov-Taylor with energy
# conservation, radiation-pulse diffusion, Bateman decay, boxcar (unit, seconds); the hydro command line with
# its parameter-file errors and a short run (cli).
snf_add_test(test_rhd LABELS "unit;numerics")
snf_add_script_test(test_rhd_cli test_rhd_cli.sh LABELS cli)
