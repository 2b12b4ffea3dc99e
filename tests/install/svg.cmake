# SPDX-License-Identifier: MIT
# svg.cmake - ctest -P script: `sparsemm analyze MAP --svg FILE` for every
# map of the corpus (expected.tsv); each picture must be well-formed XML
# (xmllint --noout) with one rect per piece of the physical address space.
# -D: CLI MAPS OUT XMLLINT
cmake_minimum_required(VERSION 3.25)
file(MAKE_DIRECTORY ${OUT})
file(STRINGS ${MAPS}/expected.tsv lines)
set(n 0)
foreach(line IN LISTS lines)
  string(REGEX MATCH "^[^\t]+" name "${line}")
  if(name STREQUAL "file" OR name STREQUAL "")
    continue()
  endif()
  set(svg ${OUT}/${name}.svg)
  execute_process(COMMAND ${CLI} analyze ${MAPS}/${name} --svg ${svg}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "analyze ${name} --svg: exit ${rc}: ${err}")
  endif()
  execute_process(COMMAND ${XMLLINT} --noout ${svg} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${svg} is not well-formed:\n${err}")
  endif()
  file(READ ${svg} text)
  if(NOT text MATCHES "^<\\?xml[^\n]*\n<svg " OR NOT text MATCHES "</svg>\n$"
     OR NOT text MATCHES "Physical address space" OR NOT text MATCHES "dense[^<]*max_pdx")
    message(FATAL_ERROR "${svg}: not the expected picture")
  endif()
  math(EXPR n "${n} + 1")
endforeach()
execute_process(COMMAND ${CLI} analyze ${MAPS}/arm-juno-r0.dts --svg ${OUT}/no/such/dir.svg
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2) # refused up front as bad input, before any report
  message(FATAL_ERROR "an unwritable --svg path must exit 2, got ${rc}")
endif()
message(STATUS "${n} pictures, all well-formed")
