# The CUDA backend: INTERFACE target aigc::cuda (headers under cuda/, CUDA::cudart, cublas,
# curand), created only when a CUDA compiler is found and AIGC_ENABLE_CUDA is ON. Included from
# the root CMakeLists.txt after aigc::aigc exists and before the tests are added.
option(AIGC_ENABLE_CUDA "Build the CUDA backend (aigc::cuda) when a CUDA compiler is found" ON)
if(NOT AIGC_ENABLE_CUDA)
  return()
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(STATUS "aigc: no CUDA compiler found; the CUDA backend (aigc::cuda) is not built")
  return()
endif()

# Hopper (H100/H200) and Ampere machine code, each with its PTX so newer GPUs can JIT it.
# Must be decided before enable_language(CUDA); never "native" (it fails on machines without a
# GPU, such as CI). CUDA 13 supports sm_75 and newer only. Override with -DCMAKE_CUDA_ARCHITECTURES
# or the CUDAARCHS environment variable.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
  set(CMAKE_CUDA_ARCHITECTURES "90;80")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

add_library(aigc_cuda INTERFACE)
add_library(aigc::cuda ALIAS aigc_cuda)
target_include_directories(aigc_cuda INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/cuda>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(aigc_cuda INTERFACE aigc::aigc CUDA::cudart CUDA::cublas CUDA::curand)
target_compile_features(aigc_cuda INTERFACE cxx_std_20)
# C++20 in .cu files. CMake before 3.26 does not know nvcc's C++20 flag (cuda_std_20 is missing
# from CMAKE_CUDA_COMPILE_FEATURES), so then the flag is passed directly.
if("cuda_std_20" IN_LIST CMAKE_CUDA_COMPILE_FEATURES)
  target_compile_features(aigc_cuda INTERFACE cuda_std_20)
else()
  target_compile_options(aigc_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>)
endif()
# Eigen's headers (reached through <aigc/aigc.hpp>) call constexpr host functions from
# __host__ __device__ ones and default some annotated members; Eigen itself recommends
# --expt-relaxed-constexpr under nvcc, and warning 20012 is about those defaulted members.
# EIGEN_NO_CUDA: in .cu files Eigen is host-only (the CPU backend), and it must compile to the same
# code as in .cpp files, not Eigen's CUDA mode -- one definition of every inline CPU kernel
# (cpu/kernels.hpp refuses to compile without it; tests/odr checks the symbols).
# Warning 1675 ("unrecognized GCC pragma") is nvcc's front end meeting the `#pragma GCC unroll` of the
# CPU GEMM kernels: it passes them on to the host compiler unchanged, which is what we want.
target_compile_options(aigc_cuda INTERFACE
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr;-diag-suppress=20012,1675>)
target_compile_definitions(aigc_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:EIGEN_NO_CUDA>)

# Our own CUDA programs: the flags of every program here (aigc_project_flags: -march=native,
# -ffp-contract=off, for the host pass too, so inline CPU code is one definition in .cpp and .cu
# files alike) plus the host compiler's warnings, passed through nvcc.
add_library(aigc_cuda_project_flags INTERFACE)
target_link_libraries(aigc_cuda_project_flags INTERFACE aigc_project_flags)
target_compile_options(aigc_cuda_project_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Wno-unknown-pragmas>)

# Installed next to aigc's headers and exported in its own set, aigcCudaTargets.cmake, which
# aigcConfig.cmake loads when the consumer has a CUDA toolkit (find_package(aigc COMPONENTS cuda)).
if(AIGC_INSTALL)
  include(GNUInstallDirs)
  if(NOT DEFINED AIGC_INSTALL_CMAKEDIR)
    set(AIGC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/aigc)
  endif()
  set_target_properties(aigc_cuda PROPERTIES EXPORT_NAME cuda)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/cuda/aigc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.cuh")
  install(TARGETS aigc_cuda EXPORT aigcCudaTargets)
  install(EXPORT aigcCudaTargets NAMESPACE aigc:: DESTINATION ${AIGC_INSTALL_CMAKEDIR})
endif()

message(STATUS "aigc: CUDA backend enabled (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")

