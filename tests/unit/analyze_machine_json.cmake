# SPDX-License-Identifier: MIT
# analyze_machine_json.cmake - `analyze FILE FILE --json` (one machine) keeps
# the sparsemm.analyze/1 contract and adds the machine and xen blocks:
#   - the e820 and SRAT of the 8-socket hot-plug server as one machine: the
#     fields of /1 are all there, RAM is the e820's (expected.tsv), the seven
#     1 TiB hot-plug windows are 7 TiB, and --online hotplug adds them as RAM;
#   - a real Xen-on-Arm boot log: Xen's own line agrees.
# Usage: cmake -DCLI=path/to/sparsemm -DMAPS=tests/maps -P analyze_machine_json.cmake
function(run out_var)
  execute_process(COMMAND ${CLI} analyze ${ARGN} --json OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "analyze ${ARGN} --json exited ${rc}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(expect doc value)
  string(JSON v ERROR_VARIABLE err GET "${doc}" ${ARGN})
  if(err OR NOT v STREQUAL "${value}")
    message(FATAL_ERROR "${ARGN}: '${v}' (${err}), expected '${value}'")
  endif()
endfunction()

run(out ${MAPS}/intel-8s-hotplug-25tb.e820 ${MAPS}/intel-8s-hotplug-25tb.srat)
expect("${out}" "sparsemm.analyze/1" schema)
foreach(key source format ram_bytes ram_pages ram_ranges ram_extents span_bytes arch pdx_base
            max_order block_ideal_max_pdx schemes best best_fits minimum baseline machine xen)
  string(JSON v ERROR_VARIABLE err GET "${out}" ${key})
  if(err)
    message(FATAL_ERROR "field ${key}: ${err}")
  endif()
endforeach()
expect("${out}" 549278486528 ram_bytes)
expect("${out}" e820 format)
expect("${out}" e820 machine ram_source)
expect("${out}" 7696581394432 machine hotplug_bytes)
expect("${out}" x86 xen arch)
expect("${out}" 10 xen srat_entries)
string(JSON nspecial LENGTH "${out}" machine special)
if(NOT nspecial EQUAL 7)
  message(FATAL_ERROR "${nspecial} special ranges, expected the 7 hot-plug windows")
endif()
foreach(k compressible max_pdx density vs_block_ideal params overhead fits)
  string(JSON v ERROR_VARIABLE err GET "${out}" schemes mask ${k})
  if(err)
    message(FATAL_ERROR "schemes.mask.${k}: ${err}")
  endif()
endforeach()

# --online hotplug: the windows' parts no RAM covers (7 x 960 GiB) become RAM
run(out ${MAPS}/intel-8s-hotplug-25tb.e820 ${MAPS}/intel-8s-hotplug-25tb.srat --online hotplug)
math(EXPR want "549278486528 + 7 * 960 * 1073741824")
expect("${out}" ${want} ram_bytes)
expect("${out}" hotplug machine online 0)

# a real Xen boot log: the verdict reproduces Xen's own line
run(out ${MAPS}/xilinx-zynqmp-xen414.xenlog)
expect("${out}" arm arch)
expect("${out}" "PFN compression on bits 19...22" xen boot_line)
expect("${out}" ON xen agrees) # string(JSON) reads true as ON
