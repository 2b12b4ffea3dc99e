/* SPDX-License-Identifier: MIT */
/*
 * m2p.c - the sparse M2P and compat M2P: a reservation mapped over the
 * shared zero page, chunks backed where RAM is, entries stored complemented.
 */
#include "tables_internal.h"

#include <sparsemm/m2p.h>

int smm_m2p_create(struct smm_platform *plat, uint32_t entry_size, uint64_t max_mfn, uint64_t clip,
                   unsigned granule_shift, const struct smm_frame_range *r, size_t n,
                   struct smm_m2p **out)
{
    *out = NULL;
    uint64_t nr = max_mfn < clip ? max_mfn : clip;
    if ((entry_size != SMM_M2P_ENTRY_SIZE && entry_size != SMM_COMPAT_M2P_ENTRY_SIZE) ||
        granule_shift < 12 || granule_shift > 30 || nr == 0 ||
        ((UINT64_C(1) << granule_shift) % plat->page_size) != 0)
        return -SMM_EINVAL;
    uint64_t chunk_bytes = UINT64_C(1) << granule_shift;
    uint64_t per_chunk = chunk_bytes / entry_size;
    uint64_t nr_chunks = (nr + per_chunk - 1) / per_chunk;
    if (nr_chunks > SIZE_MAX / chunk_bytes)
        return -SMM_EINVAL;
    size_t va_len = (size_t)(nr_chunks * chunk_bytes);

    void *base;
    int rc = plat->reserve(plat, va_len, &base);
    if (rc != 0)
        return rc;
    rc = plat->share_zero(plat, base, va_len);
    void *obj = NULL;
    uint64_t *bm = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = smm_tables_obj_alloc_(plat, sizeof(struct smm_m2p_body_), nr_chunks, &obj, &bm, &len);
    if (rc != 0) {
        plat->release(plat, base, va_len);
        return rc;
    }
    struct smm_m2p_body_ *m = obj;
    *m = (struct smm_m2p_body_){
        .head = {.base = base, .nr_entries = nr, .entry_size = entry_size},
        .plat = plat,
        .chunk_shift = granule_shift,
        .clip = clip,
        .nr_chunks = nr_chunks,
        .va_len = va_len,
        .populated = bm,
        .obj_len = len,
    };
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = smm_m2p_add_range(&m->head, r[i].start, r[i].end);
    if (rc != 0) {
        smm_m2p_destroy(&m->head);
        return rc;
    }
    *out = &m->head;
    return 0;
}

static unsigned mfn_chunk_shift(const struct smm_m2p_body_ *m)
{
    return m->chunk_shift - (m->head.entry_size == SMM_M2P_ENTRY_SIZE ? 3u : 2u);
}

int smm_m2p_add_range(struct smm_m2p *pub, uint64_t start, uint64_t end)
{
    struct smm_m2p_body_ *m = SMM_TABLE_BODY_(struct smm_m2p_body_, pub);
    if (end > m->clip)
        end = m->clip;
    if (start >= end)
        return 0;
    if (end > pub->nr_entries)
        return -SMM_ERANGE;
    unsigned s = mfn_chunk_shift(m);
    uint64_t first, last;
    int rc = smm_tables_new_run_(m->populated, start >> s, (end - 1) >> s, &first, &last);
    if (rc != 0 || first > last)
        return rc;
    size_t len = (size_t)((last - first + 1) << m->chunk_shift);
    rc = m->plat->populate(m->plat, pub->base + (first << m->chunk_shift), len);
    if (rc != 0)
        return rc;
    smm_tables_mark_run_(m->populated, first, last);
    m->committed += len;
    return 0;
}

void smm_m2p_destroy(struct smm_m2p *pub)
{
    if (!pub)
        return;
    struct smm_m2p_body_ *m = SMM_TABLE_BODY_(struct smm_m2p_body_, pub);
    smm_tables_obj_free_(m->plat, pub->base, m->va_len, m, m->obj_len);
}

bool smm_m2p_chunk_backed(const struct smm_m2p *pub, uint64_t c)
{
    const struct smm_m2p_body_ *m = SMM_TABLE_CBODY_(struct smm_m2p_body_, pub);
    return c < m->nr_chunks && bit_test_(m->populated, c);
}

void smm_m2p_get_usage(const struct smm_m2p *pub, struct smm_m2p_usage *out)
{
    const struct smm_m2p_body_ *m = SMM_TABLE_CBODY_(struct smm_m2p_body_, pub);
    *out = (struct smm_m2p_usage){
        .committed = m->committed,
        .bookkeeping = m->obj_len,
        .reserved = m->va_len,
        .nr_chunks = m->nr_chunks,
        .chunk_bytes = UINT64_C(1) << m->chunk_shift,
        .clip = m->clip,
    };
}

int smm_m2p_set(struct smm_m2p *pub, uint64_t mfn, uint64_t pfn)
{
    const struct smm_m2p_body_ *m = SMM_TABLE_CBODY_(struct smm_m2p_body_, pub);
    if (mfn >= pub->nr_entries || !bit_test_(m->populated, mfn >> mfn_chunk_shift(m)))
        return -SMM_ERANGE;
    if (pub->entry_size == SMM_COMPAT_M2P_ENTRY_SIZE)
        ((uint32_t *)(void *)pub->base)[mfn] = ~(uint32_t)pfn;
    else
        ((uint64_t *)(void *)pub->base)[mfn] = ~pfn;
    return 0;
}
