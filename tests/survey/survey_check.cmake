# SPDX-License-Identifier: MIT
# survey_check.cmake - run `sparsemm survey` and check what it promises:
# stdout equal to a golden file (when GOLDEN is given), the exit status, the
# stderr lines a failing file must produce, and no progress bar when stderr
# is not a terminal.
# Usage: cmake -DCLI=... -DWORKDIR=... -DARGS="a|b" [-DGOLDEN=file]
#              -DEXPECT_RC=N [-DSTDERR_HAS=regex] [-DSTDOUT_HAS=regex] -P survey_check.cmake
string(REPLACE "|" ";" ARGS "${ARGS}") # arguments are separated by |
execute_process(COMMAND ${CLI} survey ${ARGS} WORKING_DIRECTORY ${WORKDIR}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT_RC}\n${err}")
endif()
if(DEFINED GOLDEN)
  file(READ ${GOLDEN} want)
  if(NOT out STREQUAL want)
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/survey_actual.out "${out}")
    message(FATAL_ERROR "stdout differs from ${GOLDEN}; got (also in "
                        "${CMAKE_CURRENT_BINARY_DIR}/survey_actual.out):\n${out}")
  endif()
endif()
if(out MATCHES "^{")
  # a JSON document: it must parse, and name its schema
  string(JSON schema ERROR_VARIABLE jerr GET "${out}" schema)
  if(jerr OR NOT schema STREQUAL "sparsemm.survey/1")
    message(FATAL_ERROR "not a sparsemm.survey/1 JSON document (${jerr}):\n${out}")
  endif()
endif()
if(DEFINED STDERR_HAS AND NOT err MATCHES "${STDERR_HAS}")
  message(FATAL_ERROR "stderr lacks '${STDERR_HAS}':\n${err}")
endif()
if(DEFINED STDOUT_HAS AND NOT out MATCHES "${STDOUT_HAS}")
  message(FATAL_ERROR "stdout lacks '${STDOUT_HAS}':\n${out}")
endif()
string(FIND "${err}" "\r" cr)
string(FIND "${err}" "[#" bar)
if(NOT cr EQUAL -1 OR NOT bar EQUAL -1)
  message(FATAL_ERROR "a progress bar on stderr, which is not a terminal:\n${err}")
endif()
