/* SPDX-License-Identifier: MIT */
/*
 * layout.h - the layout of the public structs as one language sees it:
 * the C side (layout_c.c) and the C++ side (consumer.cpp) fill the same
 * table, and the C++ consumer compares them field by field.
 */
#ifndef SMM_TEST_CXX_LAYOUT_H
#define SMM_TEST_CXX_LAYOUT_H

#include <sparsemm/analyze.h>
#include <sparsemm/p2m.h>
#include <sparsemm/pdx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMM_LAYOUT_FIELDS(X)                                                                       \
    X(smm_p2m, fast_max)                                                                           \
    X(smm_p2m, max_pfn)                                                                            \
    X(smm_p2m, words)                                                                              \
    X(smm_p2m, top_word)                                                                           \
    X(smm_p2m, identity_leaf)                                                                      \
    X(smm_p2m, shift)                                                                              \
    X(smm_p2m, tree64)                                                                             \
    X(smm_p2m, foreign_bit)                                                                        \
    X(smm_p2m_view, bound)                                                                         \
    X(smm_p2m_config, identity_ranges)                                                             \
    X(smm_pdx, max_pdx)                                                                            \
    X(smm_pdx, rev_dir_at)                                                                         \
    X(smm_pdx, dense_leaf)                                                                         \
    X(smm_pdx, nr_groups)                                                                          \
    X(smm_pdx_info, table_bytes)                                                                   \
    X(smm_pdx_usage, groups)                                                                       \
    X(smm_pdx, rev_flat_at)                                                                        \
    X(smm_platform, machine_map)                                                                   \
    X(smm_frame_range, end)                                                                        \
    X(smm_analysis, any_fits)                                                                      \
    X(smm_analysis_scheme, conversion_rank)

struct smm_layout_entry {
    const char *name;
    size_t size;   /* sizeof the struct */
    size_t align;  /* its alignment */
    size_t offset; /* offsetof the field */
};

/* layout_c - the table as C lays the structs out; returns the entry count. */
size_t layout_c(const struct smm_layout_entry **out);

#ifdef __cplusplus
}
#endif

#endif
