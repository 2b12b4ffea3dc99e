# SPDX-License-Identifier: MIT
# exports.cmake - ctest -P script: the dynamic symbols libsparsemm.so defines
# (nm -D --defined-only) must be exactly the functions declared SMM_API in
# the installed headers, and it has a SONAME.  -D: LIB HEADERS (a glob) EXTRA EXTRA2
# EXTRA3 EXTRA4
cmake_minimum_required(VERSION 3.25)
file(GLOB headers ${HEADERS})
set(declared "")
foreach(h IN LISTS headers EXTRA EXTRA2 EXTRA3 EXTRA4)
  file(READ ${h} text)
  string(REGEX MATCHALL "SMM_API[^;{(]*[ *](smm_[a-z0-9_]+)\\(" decls "${text}")
  foreach(d IN LISTS decls)
    string(REGEX REPLACE ".*[ *](smm_[a-z0-9_]+)\\($" "\\1" name "${d}")
    list(APPEND declared ${name})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES declared)
list(SORT declared)

execute_process(COMMAND nm -D --defined-only ${LIB} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -D failed on ${LIB}")
endif()
string(REGEX MATCHALL "[0-9a-f]+ [TDBRVW] [A-Za-z_][A-Za-z0-9_]*" lines "${out}")
set(exported "")
foreach(l IN LISTS lines)
  string(REGEX REPLACE "^[0-9a-f]+ . " "" name "${l}")
  # a --coverage build links libgcov's runtime into the library: not ours
  if(name MATCHES "^__gcov_" OR name STREQUAL "mangle_path")
    continue()
  endif()
  list(APPEND exported ${name})
endforeach()
list(SORT exported)

set(extra ${exported})
list(REMOVE_ITEM extra ${declared})
set(missing ${declared})
list(REMOVE_ITEM missing ${exported})
list(LENGTH declared nd)
if(extra OR missing)
  message(FATAL_ERROR "libsparsemm.so exports differ from the SMM_API declarations:\n"
          "  exported, not declared: ${extra}\n  declared, not exported: ${missing}")
endif()
execute_process(COMMAND objdump -p ${LIB} OUTPUT_VARIABLE out)
if(NOT out MATCHES "SONAME +libsparsemm\\.so\\.[0-9]+\n")
  message(FATAL_ERROR "${LIB} has no SONAME libsparsemm.so.N")
endif()
message(STATUS "libsparsemm.so exports exactly the ${nd} SMM_API functions")
