# Offline fallback for machines without the Debian packages aigc builds against (the GPU machines:
# no internet, no apt). `scripts/gpu-check.sh --prepare` copies libeigen3-dev, catch2,
# libbenchmark-dev, nlohmann-json3-dev and libstb-dev, in their installed layout and with their
# relocatable CMake files, into third_party/prefix/ (ignored by git). The prefix is appended to the
# *system* prefix path, so installed packages still win and it is only searched when find_package()
# would otherwise fail. Include this file before the first find_package().
set(AIGC_THIRD_PARTY_PREFIX ${CMAKE_CURRENT_LIST_DIR}/../third_party/prefix)
if(EXISTS ${AIGC_THIRD_PARTY_PREFIX})
  get_filename_component(AIGC_THIRD_PARTY_PREFIX ${AIGC_THIRD_PARTY_PREFIX} ABSOLUTE)
  list(APPEND CMAKE_SYSTEM_PREFIX_PATH ${AIGC_THIRD_PARTY_PREFIX})
  # stb has no CMake package; its headers are included by path (<stb/stb_image_write.h>).
  find_path(AIGC_STB_INCLUDE_DIR stb/stb_image_write.h)
  if(AIGC_STB_INCLUDE_DIR STREQUAL "${AIGC_THIRD_PARTY_PREFIX}/include")
    include_directories(SYSTEM ${AIGC_STB_INCLUDE_DIR})
  endif()
  message(STATUS "aigc: third_party/prefix is a fallback for Eigen3, Catch2, benchmark, nlohmann_json and stb")
endif()
