# SPDX-License-Identifier: MIT
# install_consumers.cmake - ctest -P script: install the build tree to a
# prefix inside it, then build the consumer program against that prefix
# (pkg-config: shared, and static with --static; find_package: shared and
# static targets) and run every build on a real map; build and run
# examples/p2m, examples/pdx and examples/analyze the way docs/LIBRARY.md says.
# -D: BUILD_DIR SRC_DIR EXAMPLES WORK CC CFLAGS LIBDIR MAP STATIC_OK
cmake_minimum_required(VERSION 3.25)
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}${err}")
  endif()
  string(REGEX REPLACE "\n.*" "" first "${out}")
  message(STATUS "${what}: ok ${first}")
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/sparsemm/pdx.h include/sparsemm/env.h
          include/sparsemm/platform/posix/platform_posix.h
          include/sparsemm/io/memmap_io.h ${LIBDIR}/pkgconfig/sparsemm.pc
          ${LIBDIR}/pkgconfig/sparsemm-core.pc ${LIBDIR}/libsparsemm-core.a
          ${LIBDIR}/cmake/sparsemm/sparsemm-config.cmake bin/sparsemm
          share/man/man1/sparsemm.1)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# The installed headers are the source tree's include/sparsemm, nothing else.
file(GLOB_RECURSE installed RELATIVE ${prefix}/include ${prefix}/include/*)
file(GLOB_RECURSE source RELATIVE ${SRC_DIR}/../../include ${SRC_DIR}/../../include/*.h)
list(SORT installed)
list(SORT source)
if(NOT installed STREQUAL source)
  message(FATAL_ERROR "installed headers differ from include/:\n  ${installed}\n  ${source}")
endif()
separate_arguments(cflags UNIX_COMMAND "${CFLAGS}")

# pkg-config, shared library (found at run time through the rpath).
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
set(ENV{PKG_CONFIG_LIBDIR} ${prefix}/${LIBDIR}/pkgconfig)

# pkg-config sparsemm-core: the freestanding example on the core alone; no
# libfdt, no libm, even for a static link.
run("pkg-config sparsemm-core" pkg-config --static --cflags --libs sparsemm-core)
if(run_out MATCHES "fdt|-lm")
  message(FATAL_ERROR "sparsemm-core.pc pulls in more than the core: ${run_out}")
endif()
separate_arguments(pc UNIX_COMMAND "${run_out}")
set(ex ${EXAMPLES}/freestanding)
run("cc core example (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags}
    ${ex}/example.c ${ex}/arena_platform.c ${ex}/host_run.c ${pc} -o ${WORK}/core_pc)
run("core_pc" ${WORK}/core_pc)
run("pkg-config" pkg-config --cflags --libs sparsemm)
separate_arguments(pc UNIX_COMMAND "${run_out}")
run("cc (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags} ${SRC_DIR}/consumer/consumer.c
    ${pc} -Wl,-rpath,${prefix}/${LIBDIR} -o ${WORK}/consumer_pc)
run("consumer_pc" ${WORK}/consumer_pc ${MAP})
run("ldd consumer_pc" ldd ${WORK}/consumer_pc)
if(NOT run_out MATCHES "libsparsemm\\.so\\.1 => ${prefix}/")
  message(FATAL_ERROR "consumer_pc does not use the installed libsparsemm.so.1:\n${run_out}")
endif()

# The P2M example of docs/LIBRARY.md, built exactly as the guide says.
run("cc p2m_example (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags}
    ${EXAMPLES}/p2m/p2m_example.c ${pc} -Wl,-rpath,${prefix}/${LIBDIR} -o ${WORK}/p2m_example)
run("p2m_example" ${WORK}/p2m_example)
file(READ ${EXAMPLES}/p2m/p2m_example.c example)
file(READ ${EXAMPLES}/../docs/LIBRARY.md guide)
string(FIND "${guide}" "```c\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "docs/LIBRARY.md no longer shows examples/p2m/p2m_example.c verbatim")
endif()

# The PDX context and frame table example of docs/LIBRARY.md, the same way.
run("cc pdx_example (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags}
    ${EXAMPLES}/pdx/pdx_example.c ${pc} -Wl,-rpath,${prefix}/${LIBDIR} -o ${WORK}/pdx_example)
run("pdx_example" ${WORK}/pdx_example)
file(READ ${EXAMPLES}/pdx/pdx_example.c example)
string(FIND "${guide}" "```c\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "docs/LIBRARY.md no longer shows examples/pdx/pdx_example.c verbatim")
endif()

# The analysis example of docs/LIBRARY.md, built the same way, run on the map.
run("cc analyze_example (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags}
    ${EXAMPLES}/analyze/analyze_example.c ${pc} -Wl,-rpath,${prefix}/${LIBDIR}
    -o ${WORK}/analyze_example)
run("analyze_example" ${WORK}/analyze_example ${MAP})
if(NOT run_out MATCHES "\nbest: [a-z]+ \\([a-z -]+\\); best of Xen's: ")
  message(FATAL_ERROR "analyze_example printed no choice:\n${run_out}")
endif()
file(READ ${EXAMPLES}/analyze/analyze_example.c example)
string(FIND "${guide}" "```c\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "docs/LIBRARY.md no longer shows examples/analyze/analyze_example.c verbatim")
endif()

# pkg-config --static: Libs.private must be enough for a fully static link.
if(STATIC_OK)
  run("pkg-config --static" pkg-config --static --cflags --libs sparsemm)
  separate_arguments(pc UNIX_COMMAND "${run_out}")
  run("cc -static (pkg-config)" ${CC} -std=c11 -Wall -Wextra -Werror ${cflags} -static
      ${SRC_DIR}/consumer/consumer.c ${pc} -o ${WORK}/consumer_pc_static)
  run("consumer_pc_static" ${WORK}/consumer_pc_static ${MAP})
endif()

# find_package(sparsemm) with libfdt: sparsemm::core, sparsemm::sparsemm,
# sparsemm::sparsemm_static.
function(consumer tag)
  run("configure consumer (${tag})" ${CMAKE_COMMAND} -S ${SRC_DIR}/consumer -B ${WORK}/${tag}
      -DCMAKE_C_COMPILER=${CC} "-DCMAKE_C_FLAGS=${CFLAGS}" -DCMAKE_PREFIX_PATH=${prefix}
      -DEXAMPLES=${EXAMPLES} ${ARGN})
  run("build consumer (${tag})" ${CMAKE_COMMAND} --build ${WORK}/${tag})
endfunction()
consumer(cmake)
run("consumer_core" ${WORK}/cmake/consumer_core)
run("consumer_shared" ${WORK}/cmake/consumer_shared ${MAP})
run("consumer_static" ${WORK}/cmake/consumer_static ${MAP})
run("nm consumer_static" nm ${WORK}/cmake/consumer_static)
if(NOT run_out MATCHES " T smm_pdx_create")
  message(FATAL_ERROR "consumer_static did not link the archive")
endif()
consumer(cmake-hosted -DSMM_CONSUMER_COMPONENTS=hosted)

# Without libfdt (its directory hidden from find_library): the core is
# found and builds, the hosted targets are absent, and asking for the
# hosted component fails.
get_filename_component(fdt_dir ${FDT} DIRECTORY)
get_filename_component(fdt_real ${FDT} REALPATH)
get_filename_component(fdt_real_dir ${fdt_real} DIRECTORY)
set(hide ${fdt_dir} ${fdt_real_dir})
foreach(d IN LISTS fdt_dir fdt_real_dir)
  if(d MATCHES "^/usr(/.*)$")
    list(APPEND hide ${CMAKE_MATCH_1})
  else()
    list(APPEND hide /usr${d})
  endif()
endforeach()
list(REMOVE_DUPLICATES hide)
string(REPLACE ";" "," hide_arg "${hide}")
foreach(comps "" "core")
  set(tag nofdt-${comps})
  consumer(${tag} "-DSMM_CONSUMER_HIDE=${hide_arg}" "-DSMM_CONSUMER_COMPONENTS=${comps}")
  run("consumer_core (${tag})" ${WORK}/${tag}/consumer_core)
  if(EXISTS ${WORK}/${tag}/consumer_shared OR EXISTS ${WORK}/${tag}/consumer_static)
    message(FATAL_ERROR "without libfdt, find_package(sparsemm) still made hosted targets")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC_DIR}/consumer -B ${WORK}/nofdt-hosted
                -DCMAKE_C_COMPILER=${CC} -DCMAKE_PREFIX_PATH=${prefix} -DEXAMPLES=${EXAMPLES}
                "-DSMM_CONSUMER_HIDE=${hide_arg}" -DSMM_CONSUMER_COMPONENTS=hosted
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "libfdt not found")
  message(FATAL_ERROR "find_package(sparsemm COMPONENTS hosted) without libfdt: exit ${rc}\n${out}${err}")
endif()
message(STATUS "without libfdt: the core builds, the hosted component is refused")
