# grids/: samplers, campaign config, the dataset layer (unit); whole campaigns across threads, shards,
# interruptions and failing models (numerics); the CLI with kill -9 and the h5py example (cli).
snf_add_test(test_grids LABELS unit)
snf_add_test(test_grids_run LABELS numerics)
snf_add_script_test(test_grids_resume test_grids_resume.sh LABELS cli)
snf_add_script_test(test_grids_cli test_grids_cli.sh LABELS cli)
if(SNF_ENABLE_MPI)
  snf_add_script_test(test_grids_mpi test_grids_mpi.sh LABELS cli)
endif()
snf_add_script_test(test_grids_hydro test_grids_hydro.sh LABELS cli)
