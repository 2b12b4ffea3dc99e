/* SPDX-License-Identifier: MIT */
/*
 * save.c - save a paused domain to a stream file and restore it on another
 * host (new frames, rebuilt P2M and M2P, identical guest-physical contents).
 *
 * The P2M is read through the toolstack view: smm_p2m_snapshot under the
 * generation protocol, the whole copy repeated if the counter moved.
 * Stream (little-endian host order; one process writes and reads it):
 *
 *   header   u64 magic "SMMSIM01", u64 bits, backend, max_pfn, hole_start,
 *            hole_end, nr_pages, pattern_seed, generation
 *   p2m      u64 entry[max_pfn]          (old frames: only the kind matters)
 *   guest    u32 version[max_pfn]        (the guest's own state)
 *   pages    { u64 pfn, u64 old_mfn, u8 data[4096] } x nr_pages
 *   trailer  u64 magic "SMMSIMND", u64 nr_pages
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>

#define STREAM_MAGIC UINT64_C(0x31304d49534d4d53)   /* "SMMSIM01" */
#define STREAM_TRAILER UINT64_C(0x444e4d49534d4d53) /* "SMMSIMND" */
#define HDR_WORDS 9

static int put_(FILE *f, const void *p, size_t len, struct smm_sim_save_stats *st)
{
    if (fwrite(p, 1, len, f) != len)
        return -SMM_EFAULT;
    st->bytes += len;
    return 0;
}

static int get_(FILE *f, void *p, size_t len, struct smm_sim_save_stats *st)
{
    if (fread(p, 1, len, f) != len)
        return -SMM_EINVAL; /* short stream */
    st->bytes += len;
    return 0;
}

/* A consistent copy of the whole P2M: retried while the generation moves. */
static int snapshot_(const struct smm_p2m *p, uint64_t n, uint64_t *out, uint64_t *gen,
                     uint64_t *retries)
{
    for (unsigned tries = 0; tries < 1000; tries++) {
        uint64_t g0 = smm_p2m_generation(p), leaf_retries = 0;
        int rc = smm_p2m_snapshot(p, 0, n, out, &leaf_retries);
        *retries += leaf_retries;
        if (rc != 0)
            return rc;
        if ((g0 & 1) == 0 && smm_p2m_generation(p) == g0) {
            *gen = g0;
            return 0;
        }
        (*retries)++;
    }
    return -SMM_EFAULT;
}

int smm_sim_save(const struct smm_sim_domain *d, const char *path, struct smm_sim_save_stats *st)
{
    uint64_t *p2m = malloc(d->max_pfn * sizeof(*p2m)), gen = 0;
    FILE *f = NULL;
    int rc = p2m ? 0 : -SMM_ENOMEM;
    if (rc == 0)
        rc = snapshot_(d->p2m, d->max_pfn, p2m, &gen, &st->generation_retries);
    if (rc == 0 && !(f = fopen(path, "wb")))
        rc = -SMM_EFAULT;
    uint64_t hdr[HDR_WORDS] = {STREAM_MAGIC, d->bits, d->backend, d->max_pfn, d->hole_start,
                               d->hole_end, d->nr_pages, d->pattern_seed, gen};
    if (rc == 0)
        rc = put_(f, hdr, sizeof(hdr), st);
    if (rc == 0)
        rc = put_(f, p2m, d->max_pfn * sizeof(*p2m), st);
    if (rc == 0)
        rc = put_(f, d->version, d->max_pfn * sizeof(*d->version), st);
    uint64_t pages = 0;
    for (uint64_t pfn = 0; rc == 0 && pfn < d->max_pfn; pfn++) {
        uint64_t e = p2m[pfn];
        if (e == smm_p2m_invalid(d->p2m) || (e & (d->p2m->ident_bit | d->p2m->foreign_bit)))
            continue;
        uint64_t rec[2] = {pfn, e};
        rc = put_(f, rec, sizeof(rec), st);
        if (rc == 0)
            rc = put_(f, smm_sim_host_page(d->host, e), SMM_PAGE_SIZE, st);
        pages++;
    }
    uint64_t tr[2] = {STREAM_TRAILER, pages};
    if (rc == 0)
        rc = put_(f, tr, sizeof(tr), st);
    if (f && fclose(f) != 0 && rc == 0)
        rc = -SMM_EFAULT;
    if (rc == 0)
        st->pages += pages;
    free(p2m);
    return rc;
}

static int restore_body_(struct smm_sim_domain *d, FILE *f, const uint64_t *hdr,
                         struct smm_sim_save_stats *st)
{
    uint64_t n = d->max_pfn, pages = 0;
    uint64_t *p2m = malloc(n * sizeof(*p2m));
    int rc = p2m ? get_(f, p2m, n * sizeof(*p2m), st) : -SMM_ENOMEM;
    if (rc == 0)
        rc = get_(f, d->version, n * sizeof(*d->version), st);
    for (uint64_t pfn = 0; rc == 0 && pfn < n; pfn++) {
        uint64_t e = p2m[pfn];
        bool ident = e != smm_p2m_invalid(d->p2m) && (e & d->p2m->ident_bit);
        if (ident != !smm_sim_domain_is_ram(d, pfn))
            rc = -SMM_EINVAL; /* identity exactly over the hole */
        else if (e != smm_p2m_invalid(d->p2m) && !ident)
            pages++;
    }
    if (rc == 0 && pages != hdr[6])
        rc = -SMM_EINVAL;
    for (uint64_t i = 0; rc == 0 && i < pages; i++) {
        uint64_t rec[2], mfn;
        rc = get_(f, rec, sizeof(rec), st);
        if (rc == 0 && (rec[0] >= n || !smm_sim_domain_is_ram(d, rec[0]) ||
                        p2m[rec[0]] != rec[1] ||
                        smm_p2m_load(d->p2m, rec[0]) != smm_p2m_invalid(d->p2m)))
            rc = -SMM_EINVAL; /* unknown, duplicate or non-RAM pfn */
        if (rc == 0)
            rc = smm_sim_domain_map_new(d, rec[0], &mfn);
        if (rc == 0)
            rc = get_(f, smm_sim_host_page(d->host, mfn), SMM_PAGE_SIZE, st);
        if (rc == 0 && mfn != rec[1])
            st->mfns_changed++;
    }
    uint64_t tr[2];
    if (rc == 0)
        rc = get_(f, tr, sizeof(tr), st);
    if (rc == 0 && (tr[0] != STREAM_TRAILER || tr[1] != pages))
        rc = -SMM_EINVAL;
    free(p2m);
    return rc;
}

int smm_sim_restore(struct smm_sim_host *h, const char *path, struct smm_sim_domain **out,
                    struct smm_sim_save_stats *st)
{
    uint64_t hdr[HDR_WORDS];
    struct smm_sim_domain *d = NULL;
    FILE *f = fopen(path, "rb");
    int rc = f ? get_(f, hdr, sizeof(hdr), st) : -SMM_EFAULT;

    *out = NULL;
    if (rc == 0 && (hdr[0] != STREAM_MAGIC || (hdr[1] != 32 && hdr[1] != 64) ||
                    hdr[2] >= SMM_P2M_BACKEND_COUNT || hdr[3] > SMM_P2M_PFN_CAP32 ||
                    hdr[4] > hdr[5] || hdr[5] > hdr[3] || hdr[5] == hdr[4]))
        rc = -SMM_EINVAL;
    if (rc == 0) {
        struct smm_sim_domain_config dc = {
            .bytes = (hdr[3] - (hdr[5] - hdr[4])) << SMM_PAGE_SHIFT,
            .bits = (unsigned)hdr[1],
            .backend = (enum smm_p2m_backend)hdr[2],
            .hole_pages = hdr[5] - hdr[4],
            .pattern_seed = hdr[7],
            .empty = true,
        };
        rc = smm_sim_domain_create(h, &dc, &d);
        if (rc == 0 && (d->hole_start != hdr[4] || d->max_pfn != hdr[3]))
            rc = -SMM_EINVAL;
    }
    if (rc == 0)
        rc = restore_body_(d, f, hdr, st);
    if (f)
        fclose(f);
    if (rc != 0) {
        smm_sim_domain_destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}
