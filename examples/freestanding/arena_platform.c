/* SPDX-License-Identifier: MIT */
/*
 * arena_platform.c - the static-arena platform of arena_platform.h: no
 * libc, no system calls, only the core's contract (include/sparsemm/platform.h).
 */
#include "arena_platform.h"

void *memset(void *dst, int c, size_t n);

static int find_res(const struct arena *a, const void *addr, size_t len)
{
    const unsigned char *p = addr;
    if (((size_t)(p - a->base) | len) & (ARENA_PAGE - 1) || p < a->base)
        return -1;
    size_t off = (size_t)(p - a->base);
    for (int i = 0; i < ARENA_MAX_RES; i++)
        if (a->res[i].len && off >= a->res[i].off && off + len <= a->res[i].off + a->res[i].len &&
            len <= a->res[i].len)
            return i;
    return -1;
}

static int arena_reserve(struct smm_platform *p, size_t len, void **out)
{
    struct arena *a = p->ctx;
    p->stats.calls++;
    if (len == 0 || len & (ARENA_PAGE - 1))
        return -SMM_EINVAL;
    for (int i = 0; i < ARENA_MAX_RES; i++) {
        if (a->res[i].len)
            continue;
        if (len > a->len - a->top)
            return -SMM_ENOMEM;
        a->res[i].off = a->top;
        a->res[i].len = len;
        a->top += len;
        p->stats.reserved += len;
        *out = a->base + a->res[i].off;
        return 0;
    }
    return -SMM_ENOMEM;
}

static int arena_populate(struct smm_platform *p, void *addr, size_t len)
{
    struct arena *a = p->ctx;
    int i = find_res(a, addr, len);
    p->stats.calls++;
    if (i < 0)
        return -SMM_EINVAL;
    memset(addr, 0, len);
    a->res[i].committed += len;
    p->stats.committed += len;
    if (p->stats.committed > p->stats.peak_commit)
        p->stats.peak_commit = p->stats.committed;
    return 0;
}

/* No MMU: the range is zeroed (reads see 0) but stays writable. */
static int arena_share_zero(struct smm_platform *p, void *addr, size_t len)
{
    p->stats.calls++;
    if (find_res(p->ctx, addr, len) < 0)
        return -SMM_EINVAL;
    memset(addr, 0, len);
    return 0;
}

/* No MMU: nothing can be made read-only; the arguments are still checked. */
static int arena_protect(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot)
{
    (void)prot;
    p->stats.calls++;
    return find_res(p->ctx, addr, len) < 0 ? -SMM_EINVAL : 0;
}

static int arena_release(struct smm_platform *p, void *addr, size_t len)
{
    struct arena *a = p->ctx;
    int i = find_res(a, addr, len);
    p->stats.calls++;
    if (i < 0 || a->base + a->res[i].off != addr || a->res[i].len != len)
        return -SMM_EINVAL;
    p->stats.reserved -= len;
    p->stats.committed -= a->res[i].committed;
    a->res[i].len = 0;
    a->res[i].committed = 0;
    /* The top falls to the end of the highest live reservation, so space
     * released out of order (a setup's scratch before its tables) comes back
     * once what sits above it goes. */
    a->top = 0;
    for (int k = 0; k < ARENA_MAX_RES; k++)
        if (a->res[k].len && a->res[k].off + a->res[k].len > a->top)
            a->top = a->res[k].off + a->res[k].len;
    return 0;
}

void arena_platform_init(struct smm_platform *p, struct arena *a, void *buf, size_t len)
{
    memset(a, 0, sizeof(*a));
    memset(p, 0, sizeof(*p));
    a->base = buf;
    a->len = len & ~(size_t)(ARENA_PAGE - 1);
    p->ctx = a;
    p->page_size = ARENA_PAGE;
    p->reserve = arena_reserve;
    p->populate = arena_populate;
    p->share_zero = arena_share_zero;
    p->protect = arena_protect;
    p->release = arena_release;
}
