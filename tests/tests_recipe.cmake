# nn/ + train/ training recipe: step schedules, AdamW, clipping, weight EMA by hand, and bitwise resume with each.
snf_add_test(test_recipe LABELS unit)
# data-parallel training: mpirun -np 2 against one process, and resume under mpirun (MPI builds only)
if(SNF_ENABLE_MPI)
  snf_add_script_test(test_train_mpi test_train_mpi.sh LABELS cli)
endif()
