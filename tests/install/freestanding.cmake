# SPDX-License-Identifier: MIT
# freestanding.cmake - ctest -P script: compile the core (SMM_CORE_SOURCES)
# and examples/freestanding with -ffreestanding -nostdlib -fno-builtin, link
# them relocatably (cc -r) and check with nm -u that
#   - the core alone needs nothing but memcpy/memmove/memset/memcmp;
#   - core + example (its static-arena platform and mem* functions) needs
#     nothing at all;
# then run the example once under this OS through a hosted runner.
# -D: CC NM SRC CORE (comma-separated sources) WORK
cmake_minimum_required(VERSION 3.25)
set(flags -std=c11 -O2 -ffreestanding -nostdlib -fno-builtin -fno-stack-protector
    -Wall -Wextra -Werror -I${SRC}/include)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()
function(undefined obj allowed)
  run("nm -u" ${NM} -u ${obj})
  string(REGEX MATCHALL "U [A-Za-z_][A-Za-z0-9_.@]*" syms "${run_out}")
  set(bad "")
  foreach(s IN LISTS syms)
    string(SUBSTRING "${s}" 2 -1 s)
    if(NOT s IN_LIST allowed)
      list(APPEND bad ${s})
    endif()
  endforeach()
  if(bad)
    message(FATAL_ERROR "${obj} needs symbols the freestanding build cannot provide: ${bad}")
  endif()
  list(LENGTH syms n)
  message(STATUS "${obj}: ${n} undefined symbols, all allowed")
endfunction()

string(REPLACE "," ";" core "${CORE}")
set(core_objs "")
foreach(c IN LISTS core)
  get_filename_component(name ${c} NAME_WE)
  run("cc ${c}" ${CC} ${flags} -c ${SRC}/${c} -o ${WORK}/${name}.o)
  list(APPEND core_objs ${WORK}/${name}.o)
endforeach()
set(ex ${SRC}/examples/freestanding)
foreach(e libc arena_platform example)
  run("cc ${e}.c" ${CC} ${flags} -c ${ex}/${e}.c -o ${WORK}/ex_${e}.o)
endforeach()
run("cc -r core" ${CC} -nostdlib -r ${core_objs} -o ${WORK}/core.o)
undefined(${WORK}/core.o "memcpy;memmove;memset;memcmp")
run("cc -r example" ${CC} -nostdlib -r ${core_objs} ${WORK}/ex_libc.o ${WORK}/ex_arena_platform.o
    ${WORK}/ex_example.o -o ${WORK}/freestanding.o)
undefined(${WORK}/freestanding.o "")
run("cc host_run" ${CC} -std=c11 -Wall -Wextra -Werror -I${SRC}/include ${ex}/host_run.c
    ${WORK}/freestanding.o -o ${WORK}/host_run)
run("host_run" ${WORK}/host_run)
message(STATUS "${run_out}")
