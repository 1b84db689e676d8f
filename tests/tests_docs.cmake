# README.md and --help figures against the programs (closure table, Popov exponents, benchmark steps,
# campaigns, option lists, documents cited): tests/test_readme.sh. Needs test_model and bench_model built.
snf_add_script_test(test_readme test_readme.sh LABELS "cli;docs;sanitizer-skip")

# The shared library's boundary: nm -D lists exactly the SNF_API declarations of include/snforge/.
add_test(NAME test_symbols COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_symbols.sh $<TARGET_FILE:snforge_shared>
         ${PROJECT_SOURCE_DIR})
set_tests_properties(test_symbols PROPERTIES LABELS "unit;docs" TIMEOUT 60 SKIP_RETURN_CODE 77)

# The rooms and their doors (README "Rooms"): one door per room listing what it owns, never does and its name
# prefixes; every exported function in the room its prefix names; includes one way, through doors.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME test_rooms COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_rooms.py ${PROJECT_SOURCE_DIR}
           $<TARGET_FILE:snforge_shared> "$<TARGET_OBJECTS:snforge_objects>")
  set_tests_properties(test_rooms PROPERTIES LABELS "unit;docs" TIMEOUT 60)
endif()

# Every figure the program draws, drawn by the program under tests/plot_check.py: axes with quantity and unit,
# legends in words, the object or dataset named, title numbers rounded: tests/test_plots.sh.
snf_add_script_test(test_plots test_plots.sh LABELS "cli;docs;sanitizer-skip")

# No function in cli/ longer than 100 lines (issue 19 item 7): tests/fnlen.py, checked on made-up functions first.
snf_add_script_test(test_fnlen test_fnlen.sh LABELS "unit;docs")
