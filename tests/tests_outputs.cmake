# Outputs you can trust from every command (issue 20: the output owner of core/fileio.c, resume
# fingerprints, failure paths). test_outputs_lock: every writing command refuses a held output naming the
# holder, a file system without locks (an LD_PRELOAD shim, nolock_shim.c) is named with one exit code and
# SNF_FILE_LOCKING=FALSE gets past it, resumes with a changed setting are refused naming it, flipped bytes in
# resumable artefacts are refused or harmless, two real concurrent runs. test_outputs_full: a full tmpfs and a
# read-only one for every writing command (Skipped where it cannot mount).
add_library(snf_nolock_shim MODULE nolock_shim.c)
target_link_libraries(snf_nolock_shim PRIVATE ${CMAKE_DL_LIBS})
add_test(NAME test_outputs_lock COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_outputs_lock.sh
         $<TARGET_FILE:snforge_cli> ${PROJECT_SOURCE_DIR} ${SNF_SHARED_DIR} $<TARGET_FILE:snf_nolock_shim>
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(test_outputs_lock PROPERTIES LABELS cli TIMEOUT 900 SKIP_RETURN_CODE 77)
snf_add_script_test(test_outputs_full test_outputs_full.sh LABELS cli)
set_tests_properties(test_outputs_full PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
