# curriculum transfer: frozen modules, bitwise resume, selection, k-fold bookkeeping and config errors
# (unit); finetune and a tiny end-to-end curriculum with kill/resume, external test and bad input (cli).
snf_add_test(test_curriculum LABELS unit)
snf_add_script_test(test_curriculum_cli test_curriculum_cli.sh LABELS cli)
# the deployable model (curriculum --final): out-of-fold bookkeeping and residual variance (unit); end to end
# into a model predict answers with calibrated intervals and an OOD result, tampering, resume; finetune's /uq (cli).
snf_add_test(test_curriculum_final LABELS unit)
snf_add_script_test(test_curriculum_final_cli test_curriculum_final_cli.sh LABELS cli)
# [observe] in the curriculum: stage texts, out-of-fold draws, stage 2 switch, bitwise resumes, --final, bad values.
snf_add_script_test(test_curriculum_observe_cli test_curriculum_observe_cli.sh LABELS cli)
