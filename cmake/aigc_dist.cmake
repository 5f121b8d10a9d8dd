# aigc::dist (include/aigc/dist/): data-parallel training over MPI. On where MPI is found
# (Debian: libopenmpi-dev openmpi-bin); without it everything else builds and runs as before.
option(AIGC_ENABLE_MPI "Build aigc::dist, data-parallel training over MPI, where MPI is found" ON)
if(AIGC_ENABLE_MPI)
  # The C API through the C++ compiler (the project enables CXX only); MPI's deprecated C++
  # bindings are not wanted.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    add_library(aigc_dist INTERFACE)
    add_library(aigc::dist ALIAS aigc_dist)
    target_link_libraries(aigc_dist INTERFACE aigc::aigc MPI::MPI_CXX)
    target_compile_definitions(aigc_dist INTERFACE AIGC_HAVE_MPI)
    message(STATUS "aigc: MPI found (${MPIEXEC_EXECUTABLE}); aigc::dist enabled")
  else()
    message(STATUS "aigc: MPI not found (apt install libopenmpi-dev openmpi-bin); aigc::dist is not built")
  endif()
endif()
