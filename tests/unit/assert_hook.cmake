# SPDX-License-Identifier: MIT
# assert_hook.cmake - ctest -P script: a failed SMM_ASSERT under the default
# env.h through the libraries' own smm_assert_fail: the hosted library
# prints "file:line: assertion failed: expr" and aborts; the core library
# (nothing to print with) traps.  Neither returns.  -D: HOSTED CORE
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${HOSTED} fail RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "test_assert\\.c:[0-9]+: assertion failed: argc < 2"
   OR out MATCHES "no assertion failed")
  message(FATAL_ERROR "hosted hook: exit '${rc}', stderr '${err}', stdout '${out}'")
endif()
message(STATUS "hosted: ${err} (${rc})")
execute_process(COMMAND ${CORE} fail RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR out MATCHES "no assertion failed" OR err MATCHES "assertion failed")
  message(FATAL_ERROR "core hook: exit '${rc}', stderr '${err}', stdout '${out}'")
endif()
message(STATUS "core: trapped (${rc})")
execute_process(COMMAND ${HOSTED} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "no assertion failed")
  message(FATAL_ERROR "a true assertion failed: exit '${rc}'")
endif()
