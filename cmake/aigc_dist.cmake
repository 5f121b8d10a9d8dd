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
    # The GPU side (cuda/aigc/dist/nccl.cuh): NCCL from the CUDA toolkit (or a system package),
    # where the CUDA backend is built.
    if(TARGET aigc::cuda)
      find_path(AIGC_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
      find_library(AIGC_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib)
      if(AIGC_NCCL_INCLUDE_DIR AND AIGC_NCCL_LIBRARY)
        add_library(aigc_dist_nccl INTERFACE)
        add_library(aigc::dist_nccl ALIAS aigc_dist_nccl)
        target_include_directories(aigc_dist_nccl INTERFACE ${AIGC_NCCL_INCLUDE_DIR})
        target_link_libraries(aigc_dist_nccl INTERFACE aigc::dist aigc::cuda ${AIGC_NCCL_LIBRARY})
        target_compile_definitions(aigc_dist_nccl INTERFACE AIGC_HAVE_NCCL)
        message(STATUS "aigc: NCCL found (${AIGC_NCCL_LIBRARY}); aigc::dist_nccl enabled")
      else()
        message(STATUS "aigc: NCCL not found; data parallelism on GPUs (aigc::dist_nccl) is not built")
      endif()
    endif()
  else()
    message(STATUS "aigc: MPI not found (apt install libopenmpi-dev openmpi-bin); aigc::dist is not built")
  endif()
endif()

# Installed and exported in sets of their own: aigcConfig.cmake loads aigcDistTargets.cmake where
# the consumer's CMake finds MPI (find_package(aigc COMPONENTS dist)), and aigcDistNcclTargets.cmake
# where it also has the CUDA targets (COMPONENTS dist_nccl). The headers go with aigc's own.
if(AIGC_INSTALL AND TARGET aigc_dist)
  set_target_properties(aigc_dist PROPERTIES EXPORT_NAME dist)
  install(TARGETS aigc_dist EXPORT aigcDistTargets)
  install(EXPORT aigcDistTargets NAMESPACE aigc:: DESTINATION ${AIGC_INSTALL_CMAKEDIR})
  if(TARGET aigc_dist_nccl)
    set_target_properties(aigc_dist_nccl PROPERTIES EXPORT_NAME dist_nccl)
    install(TARGETS aigc_dist_nccl EXPORT aigcDistNcclTargets)
    install(EXPORT aigcDistNcclTargets NAMESPACE aigc:: DESTINATION ${AIGC_INSTALL_CMAKEDIR})
  endif()
endif()
