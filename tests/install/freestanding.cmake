# SPDX-License-Identifier: MIT
# freestanding.cmake - ctest -P script: the core as a project that vendors
# it builds it, from src/core-sources.txt alone, with -ffreestanding
# -nostdlib -fno-builtin (and on x86-64 the kernel flags -mno-red-zone
# -mgeneral-regs-only), twice:
#   1. against the default <sparsemm/env.h>: linked relocatably (cc -r), the
#      core may need nothing but memcpy/memmove/memset/memcmp;
#   2. against examples/freestanding's own env.h with -nostdinc (nothing
#      but that env can be included), together with the example (its
#      static-arena platform and mem* functions): needs nothing at all;
# then run the example once under this OS through a hosted runner.
# -D: CC NM SRC WORK PROCESSOR
cmake_minimum_required(VERSION 3.25)
set(flags -std=c11 -O2 -ffreestanding -nostdlib -fno-builtin -fno-stack-protector
    -Wall -Wextra -Werror)
if(PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  list(APPEND flags -mno-red-zone -mgeneral-regs-only)
endif()
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
# Compile every file of the source list with extra flags ARGN into objs_<tag>.
function(compile_core tag)
  file(STRINGS ${SRC}/src/core-sources.txt list REGEX "^[^#]")
  set(objs "")
  foreach(c IN LISTS list)
    get_filename_component(name ${c} NAME_WE)
    run("cc ${c} (${tag})" ${CC} ${flags} ${ARGN} -c ${SRC}/${c} -o ${WORK}/${tag}_${name}.o)
    list(APPEND objs ${WORK}/${tag}_${name}.o)
  endforeach()
  set(objs_${tag} ${objs} PARENT_SCOPE)
endfunction()

# 1. The default env.
compile_core(default -I${SRC}/include)
run("cc -r core" ${CC} -nostdlib -r ${objs_default} -o ${WORK}/core.o)
undefined(${WORK}/core.o "memcpy;memmove;memset;memcmp")

# 2. The example's env, nothing else on the include path.
set(ex ${SRC}/examples/freestanding)
set(exinc -nostdinc -I${ex}/env -I${SRC}/include)
compile_core(example ${exinc})
foreach(e libc arena_platform example)
  run("cc ${e}.c" ${CC} ${flags} ${exinc} -c ${ex}/${e}.c -o ${WORK}/ex_${e}.o)
endforeach()
run("cc -r example" ${CC} -nostdlib -r ${objs_example} ${WORK}/ex_libc.o
    ${WORK}/ex_arena_platform.o ${WORK}/ex_example.o -o ${WORK}/freestanding.o)
undefined(${WORK}/freestanding.o "")
run("cc host_run" ${CC} -std=c11 -Wall -Wextra -Werror -I${SRC}/include ${ex}/host_run.c
    ${WORK}/freestanding.o -o ${WORK}/host_run)
run("host_run" ${WORK}/host_run)
message(STATUS "${run_out}")
