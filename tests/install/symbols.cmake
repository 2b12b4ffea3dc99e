# SPDX-License-Identifier: MIT
# symbols.cmake - ctest -P script: every global symbol an installed archive
# defines starts with smm_ (nm -g --defined-only), so a kernel, hypervisor
# or VMM can link the library beside its own pdx_*/p2m_* names; and the
# core archive needs nothing from outside but the four functions compilers
# emit calls to (memcpy, memmove, memset, memcmp).
# -D: NM ARCHIVES (comma-separated) CORE
cmake_minimum_required(VERSION 3.25)
function(nm_symbols out lib)
  execute_process(COMMAND ${NM} ${ARGN} ${lib} RESULT_VARIABLE rc OUTPUT_VARIABLE text)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm ${ARGN} failed on ${lib}")
  endif()
  string(REGEX MATCHALL "(^|\n)[0-9a-f ]* [A-Za-z] [A-Za-z_.$][A-Za-z0-9_.$@]*" lines "${text}")
  set(names "")
  foreach(l IN LISTS lines)
    string(REGEX REPLACE ".* [A-Za-z] " "" name "${l}")
    # a --coverage build adds libgcov's profile counters and hooks: not ours
    if(name MATCHES "^(__gcov_|__llvm_gcov|__llvm_gcda|__llvm_gcno)" OR name STREQUAL "mangle_path")
      continue()
    endif()
    list(APPEND names ${name})
  endforeach()
  list(REMOVE_DUPLICATES names)
  set(${out} ${names} PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" archives "${ARCHIVES}")
set(total 0)
foreach(a IN LISTS archives)
  nm_symbols(defined ${a} -g --defined-only)
  set(bad ${defined})
  list(FILTER bad EXCLUDE REGEX "^smm_")
  if(bad)
    message(FATAL_ERROR "${a} defines global symbols without the smm_ prefix: ${bad}")
  endif()
  list(LENGTH defined n)
  math(EXPR total "${total} + ${n}")
  message(STATUS "${a}: ${n} global symbols, all smm_*")
endforeach()

nm_symbols(undef ${CORE} -u)
set(bad ${undef})
list(FILTER bad EXCLUDE REGEX "^(smm_.*|memcpy|memmove|memset|memcmp)$")
# a sanitizer build calls its runtime (and TSan's annotations, env.h's hooks)
list(FILTER bad EXCLUDE REGEX "^(__asan_|__ubsan_|__tsan_|__sanitizer_|__msan_|Annotate)")
if(bad)
  message(FATAL_ERROR "${CORE} needs symbols from outside the core: ${bad}")
endif()
message(STATUS "${total} global symbols, all smm_*; the core needs only mem*")
