/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parse.c - one parser under fuzz: the input bytes go through
 * smm_loaded_map_create_buffer() (parse, then normalize) in the format named by
 * SMM_FUZZ_FORMAT at compile time (SMM_FMT_AUTO: detection first), one
 * binary per format.  Beyond "no crash, no leak, no UB" it checks what the
 * loader promises:
 *   - a failure is a negative known code with a message, and leaves the
 *     loaded map empty;
 *   - a success is a normalized map: ranges valid, sorted, disjoint, no two
 *     touching ranges that should have been merged, some RAM;
 *   - every raw range passes smm_range_check();
 *   - the page view lies inside RAM and is sorted, disjoint, non-empty runs.
 */
#include "fuzz.h"

#include <sparsemm/io/memmap_io.h>

#include <string.h>

#ifndef SMM_FUZZ_FORMAT
#define SMM_FUZZ_FORMAT SMM_FMT_AUTO
#endif

/* Whether frame range f lies inside RAM of the normalized map m. */
static int frames_in_ram(const struct smm_memmap *m, const struct smm_frame_range *f)
{
    uint64_t s = f->start << SMM_PAGE_SHIFT, e = f->end << SMM_PAGE_SHIFT;
    for (size_t i = 0; i < m->nr && s < e; i++) {
        const struct smm_range *r = &m->ranges[i];
        if (r->type != SMM_MEM_RAM || r->end <= s)
            continue;
        if (r->start > s)
            return 0;
        s = r->end;
    }
    return s >= e;
}

static void check_map(const struct smm_loaded_map *lm)
{
    const struct smm_memmap *m = &lm->map;
    FUZZ_ASSERT(m->nr > 0 && m->nr <= m->cap);
    for (size_t i = 0; i < lm->raw.n; i++)
        FUZZ_ASSERT(smm_range_check(&lm->raw.v[i]) == 0);
    for (size_t i = 0; i < m->nr; i++) {
        const struct smm_range *r = &m->ranges[i];
        FUZZ_ASSERT(smm_range_check(r) == 0);
        FUZZ_ASSERT(r->type == SMM_MEM_RAM || r->node == SMM_NODE_NONE);
        if (i == 0)
            continue;
        const struct smm_range *p = &m->ranges[i - 1];
        FUZZ_ASSERT(p->end <= r->start);
        FUZZ_ASSERT(!(p->end == r->start && p->type == r->type && p->node == r->node));
    }
    FUZZ_ASSERT(smm_memmap_ram_bytes(m) > 0);
    FUZZ_ASSERT(smm_memmap_ram_extents(m) > 0);

    size_t n = smm_memmap_frames(m, NULL, 0);
    struct smm_frame_range *f = calloc(n ? n : 1, sizeof(*f));
    FUZZ_ASSERT(f != NULL);
    FUZZ_ASSERT(smm_memmap_frames(m, f, n) == n);
    uint64_t pages = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(f[i].start < f[i].end);
        FUZZ_ASSERT(i == 0 || f[i - 1].end < f[i].start);
        FUZZ_ASSERT(frames_in_ram(m, &f[i]));
        pages += f[i].end - f[i].start;
    }
    FUZZ_ASSERT(pages == smm_memmap_ram_pages(m));
    FUZZ_ASSERT(pages <= smm_memmap_ram_bytes(m) >> SMM_PAGE_SHIFT);
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smm_loaded_map *lm = NULL;
    struct smm_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = smm_loaded_map_create_buffer((const char *)data, size, "fuzz", SMM_FUZZ_FORMAT, &lm, &diag);
    if (rc != 0) {
        FUZZ_ASSERT(rc < 0 && rc > -SMM_ERROR_COUNT && diag.code == rc);
        FUZZ_ASSERT(diag.msg[0] != '\0');
        FUZZ_ASSERT(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        FUZZ_ASSERT(lm == NULL); /* a failed create leaves nothing */
        return 0;
    }
    FUZZ_ASSERT(SMM_FUZZ_FORMAT == SMM_FMT_AUTO || lm->format == SMM_FUZZ_FORMAT);
    check_map(lm);
    smm_loaded_map_destroy(lm);
    return 0;
}
