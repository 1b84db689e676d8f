# install.cmake: what `cmake --install` puts where (GNU layout, GNUInstallDirs):
#   bin/snforge                          the program
#   lib/libsnforge.a, libsnforge.so.N    the library, static and shared (SOVERSION = major version)
#   include/snforge/*.h                  the public headers (with the generated version.h)
#   lib/cmake/snforge/                   the CMake package: find_package(snforge) -> snforge::snforge (shared)
#                                        and snforge::snforge_static
#   lib/pkgconfig/snforge.pc             pkg-config --cflags --libs snforge (the shared library)
#   lib/pkgconfig/snforge-static.pc      pkg-config --static --cflags --libs snforge-static (libsnforge.a)
#   share/snforge/                       the data folder: plot scripts, example configs, bundled data and
#                                        the Python package (python/snforge), in the source tree's layout
# The program finds its scripts and data through cli/resource.c: $SNFORGE_DATA_DIR, then this data folder
# (found relative to the installed program), then the source tree of an uninstalled build.
include(CMakePackageConfigHelpers)

set(SNF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/snforge)
set(SNF_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/snforge)

# The resource finder: the data folder relative to the program's folder, and the source tree.
file(RELATIVE_PATH SNF_BIN_TO_DATA ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/snforge)
target_compile_definitions(snforge_cli PRIVATE SNF_BIN_TO_DATA="${SNF_BIN_TO_DATA}"
  SNF_SOURCE_TREE="${PROJECT_SOURCE_DIR}")

install(TARGETS snforge_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS snforge snforge_shared EXPORT snforgeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/snforge DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/generated/snforge/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/snforge)

install(EXPORT snforgeTargets NAMESPACE snforge:: DESTINATION ${SNF_INSTALL_CMAKEDIR})
configure_package_config_file(include/cmake/snforgeConfig.cmake.in ${PROJECT_BINARY_DIR}/snforgeConfig.cmake
  INSTALL_DESTINATION ${SNF_INSTALL_CMAKEDIR} PATH_VARS CMAKE_INSTALL_INCLUDEDIR SNF_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/snforgeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/snforgeConfig.cmake ${PROJECT_BINARY_DIR}/snforgeConfigVersion.cmake
  DESTINATION ${SNF_INSTALL_CMAKEDIR})

# pkg-config: the shared library by default; `pkg-config --static` adds what libsnforge.a needs.
# (Debian's plain "hdf5" module is the Open MPI flavour; the serial build links hdf5-serial.)
if(SNF_ENABLE_MPI)
  set(SNF_PC_REQUIRES_PRIVATE "openblas gsl hdf5-mpi inih")
else()
  set(SNF_PC_REQUIRES_PRIVATE "openblas gsl hdf5-serial inih")
endif()
set(SNF_PC_LIBS_PRIVATE "-lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsoldense -lsundials_sunmatrixdense -lm")
if(SNF_ENABLE_OPENMP)
  string(APPEND SNF_PC_LIBS_PRIVATE " -fopenmp")
endif()
configure_file(include/cmake/snforge.pc.in ${PROJECT_BINARY_DIR}/snforge.pc @ONLY)
# snforge-static.pc: libsnforge.a by its path (-lsnforge would pick the shared library wherever both are installed)
configure_file(include/cmake/snforge-static.pc.in ${PROJECT_BINARY_DIR}/snforge-static.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/snforge.pc ${PROJECT_BINARY_DIR}/snforge-static.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The data folder keeps the source tree's relative paths, so one relative name finds a file in both.
# Every script the program runs is installed (.ci/test-install checks every PNG the commands promise).
install(PROGRAMS validation/plot_compare.py validation/plot_curriculum.py validation/run_snec_comparison.py
  DESTINATION ${SNF_INSTALL_DATADIR}/validation)
install(DIRECTORY validation/data DESTINATION ${SNF_INSTALL_DATADIR}/validation)
install(FILES validation/curriculum.ini validation/curriculum_campaign.ini validation/curriculum_run.ini
  validation/curriculum_tiny.ini DESTINATION ${SNF_INSTALL_DATADIR}/validation)
install(PROGRAMS infer/plot_parity.py infer/plot_reliability.py infer/plot_explain.py infer/plot_fit.py
  DESTINATION ${SNF_INSTALL_DATADIR}/infer)
install(FILES train/train_run.ini train/train_small.ini DESTINATION ${SNF_INSTALL_DATADIR}/train)
install(FILES grids/87a_default.ini grids/87a_small.ini DESTINATION ${SNF_INSTALL_DATADIR}/grids)
install(DIRECTORY grids/examples DESTINATION ${SNF_INSTALL_DATADIR}/grids)
install(DIRECTORY rhd/tables DESTINATION ${SNF_INSTALL_DATADIR}/rhd) # OPAL opacities, grid pattern (snforge hydro)
if(EXISTS ${PROJECT_SOURCE_DIR}/python/snforge)
  install(DIRECTORY python/snforge DESTINATION ${SNF_INSTALL_DATADIR}/python
    PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)
endif()
