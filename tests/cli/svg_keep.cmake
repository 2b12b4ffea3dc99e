# SPDX-License-Identifier: MIT
# svg_keep.cmake - `analyze --svg FILE` never loses what FILE held: a run that
# fails (here: a MAPFILE that does not exist) leaves FILE as it was and no
# temporary beside it; a run that succeeds replaces it with the picture.
# Usage: cmake -DCLI=... -DMAP=... -DWORK=dir -P svg_keep.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/keep.svg "precious\n")
execute_process(COMMAND ${CLI} analyze ${WORK}/no-such-map --svg ${WORK}/keep.svg
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT EXISTS ${WORK}/keep.svg)
  message(FATAL_ERROR "failed run (exit ${rc}) deleted FILE")
endif()
file(READ ${WORK}/keep.svg kept)
file(GLOB left ${WORK}/keep.svg.*)
if(rc EQUAL 0 OR NOT kept STREQUAL "precious\n" OR left)
  message(FATAL_ERROR "failed run: exit ${rc}, FILE now '${kept}', left behind '${left}'")
endif()
execute_process(COMMAND ${CLI} analyze ${MAP} --svg ${WORK}/keep.svg
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
file(READ ${WORK}/keep.svg drawn)
if(NOT rc EQUAL 0 OR NOT drawn MATCHES "^<\\?xml .*</svg>\n$")
  message(FATAL_ERROR "good run: exit ${rc}, FILE is not the picture")
endif()
