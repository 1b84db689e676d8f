# The radiation-hydrodynamics code (rhd/, issue 23): Saha, EOS, OPAL, Sod, Sedov-Taylor with energy
# conservation, radiation-pulse diffusion, Bateman decay, boxcar (unit, seconds); the hydro command line with
# its parameter-file errors and a short run (cli).
snf_add_test(test_rhd LABELS "unit;numerics")
snf_add_script_test(test_rhd_cli test_rhd_cli.sh LABELS cli)
# The progenitor builder (issue 24 item 1): the shared SNEC profiles reproduced to 1e-6 (every model folder
# found), hydrostatic equilibrium, knob ranges, the column reader and the SNEC pair writer (unit); the
# progenitor command line and a short builder -> hydro run (cli).
snf_add_test(test_progenitor LABELS "unit;numerics")
snf_add_script_test(test_progenitor_cli test_progenitor_cli.sh LABELS cli)
