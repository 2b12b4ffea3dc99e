# SPDX-License-Identifier: MIT
# bench_p2m_json.cmake - the `bench p2m --json` document keeps its contract:
# schema sparsemm.bench/1 and, in every row of "p2m", every field the issue
# and docs/PERFORMANCE.md name (values are timings: only their presence and
# form are checked, never their size).
# Usage: cmake -DCLI=path/to/sparsemm -P bench_p2m_json.cmake
execute_process(COMMAND ${CLI} bench p2m --json --max-guest 4294967296 --repeat 1 --lookups 4096
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench p2m --json exited ${rc}")
endif()
string(JSON schema GET "${out}" schema)
if(NOT schema STREQUAL "sparsemm.bench/1")
  message(FATAL_ERROR "schema is '${schema}'")
endif()
string(JSON rows LENGTH "${out}" p2m)
if(NOT rows EQUAL 5) # one 4 GiB guest x sequential, hot, cold, hole, set
  message(FATAL_ERROR "${rows} rows, expected 5")
endif()
math(EXPR last "${rows} - 1")
foreach(i RANGE ${last})
  foreach(key guest_bytes pattern flat_ns linear_ns tree_ns flat_tested_ns linear_over_flat
              tree_over_linear linear_over_flat_tested tree_over_flat linear_over_tree
              flat_bytes linear_bytes tree_bytes)
    string(JSON v ERROR_VARIABLE err GET "${out}" p2m ${i} ${key})
    if(err)
      message(FATAL_ERROR "row ${i}: ${err}")
    endif()
    if(NOT key STREQUAL "pattern" AND NOT v MATCHES "^[0-9][0-9.e+-]*$")
      message(FATAL_ERROR "row ${i}: ${key} = '${v}' is not a non-negative number")
    endif()
  endforeach()
endforeach()
string(JSON g GET "${out}" p2m 0 guest_bytes)
if(NOT g EQUAL 4294967296)
  message(FATAL_ERROR "guest_bytes ${g}")
endif()
# goals: one per pattern per guest of 64 GiB and more (none for a 4 GiB run)
string(JSON ngoals LENGTH "${out}" goals)
if(NOT ngoals EQUAL 0)
  message(FATAL_ERROR "${ngoals} goals for a 4 GiB run, expected 0")
endif()
