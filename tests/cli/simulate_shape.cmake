# SPDX-License-Identifier: MIT
# simulate_shape.cmake - `simulate --src MAP` on a sparse map: the map's RAM
# is what analyze reports (ram_bytes), the scaled host keeps every NUMA node
# of the map, and a migration to DST with one guest per node takes guest
# frames from every node of both hosts, losing nothing.
# Usage: cmake -DCLI=sparsemm -DSRC=map -DDST=map -DGUESTS=n -P simulate_shape.cmake
execute_process(COMMAND ${CLI} analyze --json ${SRC} OUTPUT_VARIABLE an RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "analyze exited ${rc}")
endif()
string(JSON ram GET "${an}" ram_bytes)
string(JSON nr LENGTH "${an}" ram_ranges)
set(nodes "")
math(EXPR last "${nr} - 1")
foreach(i RANGE ${last})
  string(JSON n GET "${an}" ram_ranges ${i} node)
  list(APPEND nodes "${n}")
endforeach()
list(REMOVE_DUPLICATES nodes)
list(LENGTH nodes want_nodes)
execute_process(COMMAND ${CLI} simulate --json --src ${SRC} --dst ${DST} --scheme dense
                        --scenario migrate --guests ${GUESTS} --guest-bytes 8M
                OUTPUT_VARIABLE sim RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "simulate exited ${rc}:\n${sim}")
endif()
string(JSON got GET "${sim}" src map_ram_bytes)
if(NOT got STREQUAL ram)
  message(FATAL_ERROR "simulate says the map has ${got} bytes of RAM, analyze ${ram}")
endif()
foreach(h src dst)
  string(JSON n GET "${sim}" ${h} nodes)
  string(JSON used GET "${sim}" ${h} nodes_used)
  if(NOT n EQUAL used)
    message(FATAL_ERROR "${h}: guest frames from ${used} of ${n} nodes")
  endif()
endforeach()
string(JSON n GET "${sim}" src nodes)
if(NOT n EQUAL want_nodes)
  message(FATAL_ERROR "scaled source host has ${n} nodes, the map ${want_nodes}")
endif()
