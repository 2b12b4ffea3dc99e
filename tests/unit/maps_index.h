/* SPDX-License-Identifier: MIT */
/*
 * maps_index.h - the shared corpus as the core tests see it: the merged RAM
 * intervals that ../shared/memmaps/INDEX.md lists per file (computed
 * independently of sparsemm's parsers), turned into whole 4 KiB frames.
 */
#ifndef SPARSEMM_TESTS_MAPS_INDEX_H
#define SPARSEMM_TESTS_MAPS_INDEX_H

#include <sparsemm/memmap.h>

#define MAPS_MAX 64
#define MAPS_MAX_RANGES 64

struct index_map {
    char name[96];
    struct smm_frame_range frames[MAPS_MAX_RANGES];
    size_t nr;
};

/* Parse INDEX.md in dir; returns the number of maps (0 on error). */
size_t maps_index_load(const char *dir, struct index_map *maps, size_t cap);
const struct index_map *maps_index_find(const struct index_map *maps, size_t n,
                                        const char *name);

#endif
