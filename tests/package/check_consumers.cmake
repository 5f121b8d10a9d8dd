# Checks that an outside project can use aigc. Run by CTest (see tests/CMakeLists.txt):
#   cmake -DAIGC_BUILD_DIR=... -DAIGC_SOURCE_DIR=... -DWORK_DIR=... -DCXX_COMPILER=... -DGENERATOR=...
#         [-DCONFIG=Release] [-DMAKE_PROGRAM=...] [-DEigen3_DIR=...] -P check_consumers.cmake
# 1. `cmake --install` the aigc build tree into WORK_DIR/prefix, then configure, build and run the
#    outside project (this folder) with find_package(aigc) against that prefix only.
# 2. Configure the same project with add_subdirectory and with FetchContent: aigc::aigc
#    must resolve at generate time, and aigc's tests/examples/benchmarks must stay off.
cmake_minimum_required(VERSION 3.20)

foreach(required AIGC_BUILD_DIR AIGC_SOURCE_DIR WORK_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "check_consumers.cmake: -D${required}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

set(project_dir ${CMAKE_CURRENT_LIST_DIR})
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})

# Settings every consumer configure shares: same compiler and generator as the aigc build, and
# the same Eigen if that build was pointed at a particular one.
set(common_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONFIG})
if(MAKE_PROGRAM)
  list(APPEND common_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(Eigen3_DIR)
  list(APPEND common_args -DEigen3_DIR=${Eigen3_DIR})
endif()

function(run)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "package check: ${shown}")
  execute_process(COMMAND ${ARGN} COMMAND_ERROR_IS_FATAL ANY)
endfunction()

# 1. Install, then find_package against the prefix alone.
run(${CMAKE_COMMAND} --install ${AIGC_BUILD_DIR} --prefix ${prefix} --config ${CONFIG})
foreach(installed include/aigc/aigc.hpp)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "package check: ${prefix}/${installed} was not installed")
  endif()
endforeach()
file(GLOB_RECURSE config_files ${prefix}/*/aigcConfig.cmake)
list(LENGTH config_files config_count)
if(NOT config_count EQUAL 1)
  message(FATAL_ERROR "package check: expected one aigcConfig.cmake under ${prefix}, found '${config_files}'")
endif()

run(${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/package ${common_args}
    -DAIGC_CONSUME=package -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
# The package must come from this prefix, not from some other aigc installed on the machine.
file(STRINGS ${WORK_DIR}/package/CMakeCache.txt found_dir REGEX "^aigc_DIR:")
string(REGEX REPLACE "^aigc_DIR:[A-Z]+=" "" found_dir "${found_dir}")
cmake_path(IS_PREFIX prefix "${found_dir}" NORMALIZE from_prefix)
if(NOT from_prefix)
  message(FATAL_ERROR "package check: find_package(aigc) used '${found_dir}', not the test prefix ${prefix}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/package --config ${CONFIG})
find_program(app NAMES app PATHS ${WORK_DIR}/package ${WORK_DIR}/package/${CONFIG} NO_DEFAULT_PATH REQUIRED)
run(${app})
find_program(app_dist NAMES app_dist PATHS ${WORK_DIR}/package ${WORK_DIR}/package/${CONFIG} NO_DEFAULT_PATH)
if(EXISTS ${AIGC_BUILD_DIR}/tests/dist/CTestTestfile.cmake AND NOT app_dist)
  message(FATAL_ERROR "package check: this build has aigc::dist, but find_package(aigc) did not provide it")
endif()
if(app_dist)
  run(${app_dist})
endif()

# 2. add_subdirectory and FetchContent: configure and generate only (the compile is the same as above).
foreach(mode subdirectory fetchcontent)
  run(${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/${mode} ${common_args}
      -DAIGC_CONSUME=${mode} -DAIGC_SOURCE_DIR=${AIGC_SOURCE_DIR})
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "package check: find_package, add_subdirectory and FetchContent consumers all work")
