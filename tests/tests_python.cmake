# python/snforge against the program: read_dataset / load_model / simulate without PyTorch (h5), and the
# PyTorch network's predictions against snforge predict (torch). 77 = Skipped (a Python module is missing).
# test_python_h5 loads libsnforge.so into Python (ctypes): an AddressSanitizer build of the library cannot
# be loaded into an uninstrumented interpreter, so the sanitizer pass leaves it out (sanitizer-skip).
foreach(mode h5 torch)
  add_test(NAME test_python_${mode} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_python.sh ${mode}
           $<TARGET_FILE:snforge_cli> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:snforge_shared>
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set(labels "cli;python")
  if(mode STREQUAL "h5")
    list(APPEND labels sanitizer-skip)
  endif()
  set_tests_properties(test_python_${mode} PROPERTIES LABELS "${labels}" TIMEOUT 600 SKIP_RETURN_CODE 77)
endforeach()
