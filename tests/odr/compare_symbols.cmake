# One definition rule between the two compilers: the CPU kernels instantiated by the host compiler
# (HOST_OBJECT) and by nvcc (CUDA_OBJECT) from the same source, both without inlining, must be the
# same set of functions with the same sizes. A CPU code path compiled only where __CUDACC__ is undefined (or Eigen in
# its CUDA mode) changes both: this fails, naming the functions that differ.
#   cmake -DNM=nm -DHOST_OBJECT=a.o -DCUDA_OBJECT=b.o -P compare_symbols.cmake
foreach(var NM HOST_OBJECT CUDA_OBJECT)
  if(NOT ${var})
    message(FATAL_ERROR "compare_symbols: pass -D${var}=...")
  endif()
endforeach()

# "size name" for every defined function of ours, sorted.
function(aigc_functions object out)
  execute_process(COMMAND ${NM} --defined-only --size-sort -S -C ${object}
                  OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "compare_symbols: ${NM} failed on ${object}")
  endif()
  string(REPLACE "\n" ";" rows "${listing}")
  set(functions "")
  foreach(row ${rows})
    # address size type name; code symbols are t/T/W (weak: inline and template functions).
    if(row MATCHES "^[0-9a-f]+ ([0-9a-f]+) [tTW] (.*aigc::.*)$")
      list(APPEND functions "${CMAKE_MATCH_1} ${CMAKE_MATCH_2}")
    endif()
  endforeach()
  list(SORT functions)
  set(${out} "${functions}" PARENT_SCOPE)
endfunction()

aigc_functions(${HOST_OBJECT} host)
aigc_functions(${CUDA_OBJECT} cuda)
list(LENGTH host host_count)
if(host_count LESS 20)
  message(FATAL_ERROR "compare_symbols: only ${host_count} aigc functions in ${HOST_OBJECT}; the probe is not probing")
endif()
set(only_host ${host})
list(REMOVE_ITEM only_host ${cuda})
set(only_cuda ${cuda})
list(REMOVE_ITEM only_cuda ${host})
if(only_host OR only_cuda)
  list(JOIN only_host "\n  " a)
  list(JOIN only_cuda "\n  " b)
  message(FATAL_ERROR "compare_symbols: the CPU kernels differ between g++ and nvcc (size name):\n"
                      "only from g++:\n  ${a}\nonly from nvcc:\n  ${b}")
endif()
message(STATUS "compare_symbols: ${host_count} aigc functions, identical under g++ and nvcc")
