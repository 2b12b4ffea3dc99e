# SPDX-License-Identifier: MIT
# cxx.cmake - ctest -P script: the public headers are C++: consumer.cpp
# includes every one of them (checked here against include/sparsemm), is
# compiled as C++11 with each C++ compiler given (-Wall -Wextra -Werror
# -pedantic), linked with the hosted library and layout_c.c (compiled as
# C11), and run.  -D: CC CXXS (comma-separated) SRC LIB FDT FLAGS WORK
cmake_minimum_required(VERSION 3.25)
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(dir ${SRC}/tests/cxx)
file(READ ${dir}/consumer.cpp text)
file(GLOB_RECURSE headers RELATIVE ${SRC}/include ${SRC}/include/*.h)
foreach(h IN LISTS headers)
  string(FIND "${text}" "#include <${h}>" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "consumer.cpp does not include the public header <${h}>")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
separate_arguments(flags UNIX_COMMAND "${FLAGS}")
run("cc layout_c.c" ${CC} -std=c11 -Wall -Wextra -Werror ${flags} -I${SRC}/include
    -c ${dir}/layout_c.c -o ${WORK}/layout_c.o)
string(REPLACE "," ";" cxxs "${CXXS}")
foreach(cxx IN LISTS cxxs)
  get_filename_component(name ${cxx} NAME)
  run("${name} consumer.cpp" ${cxx} -std=c++11 -Wall -Wextra -Werror -pedantic ${flags}
      -I${SRC}/include ${dir}/consumer.cpp ${WORK}/layout_c.o ${LIB} ${FDT}
      -o ${WORK}/consumer_${name})
  run("consumer (${name})" ${WORK}/consumer_${name})
  message(STATUS "${name}: ${run_out}")
endforeach()
list(LENGTH headers nh)
message(STATUS "${nh} public headers compiled as C++ by ${CXXS}")
