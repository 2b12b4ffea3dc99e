# SPDX-License-Identifier: MIT
# run_cli.cmake - one CLI run checked three ways: its exit status (RC), its
# stdout byte for byte against a golden file (GOLDEN, optional; the map
# directory is written as MAPS/ so the files do not depend on the checkout)
# and its stderr and stdout against regular expressions (STDERR_RE,
# STDOUT_RE, optional).
# Usage: cmake -DCLI=sparsemm -DMAPS=dir -DARGS="a|b" -DRC=n [-DGOLDEN=f]
#              [-DSTDERR_RE=re] [-DUPDATE=1] -P run_cli.cmake
# (arguments separated by |; %MAPS% stands for the map directory)
string(REPLACE "%MAPS%" "${MAPS}" args "${ARGS}")
string(REPLACE "|" ";" args "${args}")
execute_process(COMMAND ${CLI} ${args} OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc WORKING_DIRECTORY ${MAPS})
if(NOT rc EQUAL RC)
  message(FATAL_ERROR "exit ${rc}, expected ${RC}\nstderr: ${err}")
endif()
if(DEFINED STDERR_RE AND NOT err MATCHES "${STDERR_RE}")
  message(FATAL_ERROR "stderr does not match '${STDERR_RE}':\n${err}")
endif()
if(DEFINED STDOUT_RE AND NOT out MATCHES "${STDOUT_RE}")
  message(FATAL_ERROR "stdout does not match '${STDOUT_RE}'")
endif()
if(DEFINED GOLDEN)
  string(REPLACE "${MAPS}/" "MAPS/" out "${out}")
  if(UPDATE)
    file(WRITE ${GOLDEN} "${out}")
  endif()
  file(READ ${GOLDEN} want)
  if(NOT out STREQUAL want)
    get_filename_component(name ${GOLDEN} NAME)
    set(actual ${CMAKE_CURRENT_BINARY_DIR}/${name}.actual) # the test's build directory
    file(WRITE ${actual} "${out}")
    message(FATAL_ERROR "stdout differs from ${GOLDEN}: diff it with ${actual}")
  endif()
endif()
