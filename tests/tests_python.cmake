# python/snforge against the program: read_dataset / load_model / simulate without PyTorch (h5), and the
# PyTorch network's predictions against snforge predict (torch). 77 = Skipped (a Python module is missing).
foreach(mode h5 torch)
  add_test(NAME test_python_${mode} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_python.sh ${mode}
           $<TARGET_FILE:snforge_cli> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:snforge_shared>
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(test_python_${mode} PROPERTIES LABELS "cli;python" TIMEOUT 600 SKIP_RETURN_CODE 77)
endforeach()
