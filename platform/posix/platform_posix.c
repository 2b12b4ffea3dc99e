/* SPDX-License-Identifier: MIT */
/*
 * platform_posix.c - reserve/populate/share_zero/protect/release over mmap.
 *
 *   reserve     mmap(PROT_NONE, MAP_NORESERVE): address space only
 *   populate    mmap(MAP_FIXED, RW) over the sub-range: fresh zero pages
 *   share_zero  mmap(MAP_FIXED, PROT_READ): reads hit the kernel's shared
 *               zero page, writes fault, nothing is committed
 *   protect     mprotect
 *   release     munmap of a whole reservation
 *   machine_setup   memfd_create + ftruncate: the machine's RAM as a sparse
 *                   file whose offset is the machine address
 *   machine_map     mmap(MAP_SHARED | MAP_FIXED) of the memfd at offset maddr
 *
 * Committed bytes are accounted per populated extent so that release and
 * share_zero give back exactly what was taken.  Note: a kernel that maps no
 * shared zero page on read faults (seen on a Firecracker guest, Linux 6.18)
 * backs every page of a share_zero range that is read with a fresh page;
 * nothing is committed in the platform's sense, but it costs memory there.
 */
#include <sparsemm/platform/posix/platform_posix.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

struct extent {
    uintptr_t start, end;
};

struct posix_state {
    struct extent *res;  /* live reservations */
    size_t nr_res, cap_res;
    struct extent *pop;  /* populated extents (disjoint) */
    size_t nr_pop, cap_pop;
    uint64_t fail_at;    /* call number that fails; 0 = never */
    int machine_fd;      /* memfd holding machine memory; -1 until set up */
    uint64_t machine_span;
};

static int grow(struct extent **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    struct extent *nv = realloc(*v, ncap * sizeof(**v));
    if (!nv)
        return -SMM_ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* Count the call; return -SMM_ENOMEM if fault injection picks this one. */
static int enter(struct smm_platform *p)
{
    struct posix_state *st = p->ctx;
    p->stats.calls++;
    if (st->fail_at != 0 && --st->fail_at == 0)
        return -SMM_ENOMEM;
    return 0;
}

static bool aligned(const struct smm_platform *p, const void *addr, size_t len)
{
    return len > 0 && ((uintptr_t)addr % p->page_size) == 0 && (len % p->page_size) == 0;
}

static bool inside_reservation(const struct posix_state *st, uintptr_t s, uintptr_t e)
{
    for (size_t i = 0; i < st->nr_res; i++)
        if (s >= st->res[i].start && e <= st->res[i].end)
            return true;
    return false;
}

/* Remove [s, e) from the populated extents; return the bytes removed. */
static int decommit(struct posix_state *st, uintptr_t s, uintptr_t e, uint64_t *removed)
{
    *removed = 0;
    for (size_t i = 0; i < st->nr_pop; i++) {
        struct extent x = st->pop[i];
        if (x.end <= s || x.start >= e)
            continue;
        uintptr_t os = x.start > s ? x.start : s, oe = x.end < e ? x.end : e;
        *removed += oe - os;
        if (x.start < s && x.end > e) { /* split in two */
            if (grow(&st->pop, &st->cap_pop, st->nr_pop + 1) != 0)
                return -SMM_ENOMEM;
            st->pop[st->nr_pop++] = (struct extent){e, x.end};
            st->pop[i].end = s;
        } else if (x.start < s) {
            st->pop[i].end = s;
        } else if (x.end > e) {
            st->pop[i].start = e;
        } else {
            st->pop[i--] = st->pop[--st->nr_pop];
        }
    }
    return 0;
}

static int errno_code(void)
{
    return errno == ENOMEM || errno == EAGAIN ? -SMM_ENOMEM : -SMM_EFAULT;
}

static int posix_reserve(struct smm_platform *p, size_t len, void **out)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (len == 0 || len % p->page_size != 0)
        return -SMM_EINVAL;
    if (grow(&st->res, &st->cap_res, st->nr_res + 1) != 0)
        return -SMM_ENOMEM;
    void *a = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED)
        return errno_code();
    st->res[st->nr_res++] = (struct extent){(uintptr_t)a, (uintptr_t)a + len};
    p->stats.reserved += len;
    *out = a;
    return 0;
}

/* mmap(MAP_FIXED) over part of a reservation; populated bytes there are given back. */
static int remap(struct smm_platform *p, void *addr, size_t len, int prot, int flags, int fd,
                 uint64_t off)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (!aligned(p, addr, len) ||
        !inside_reservation(st, (uintptr_t)addr, (uintptr_t)addr + len))
        return -SMM_EINVAL;
    if (grow(&st->pop, &st->cap_pop, st->nr_pop + 2) != 0)
        return -SMM_ENOMEM;
    void *a = mmap(addr, len, prot, flags | MAP_FIXED, fd, (off_t)off);
    if (a == MAP_FAILED)
        return errno_code();
    uint64_t removed;
    decommit(st, (uintptr_t)addr, (uintptr_t)addr + len, &removed); /* room ensured */
    p->stats.committed -= removed;
    return 0;
}

static int posix_populate(struct smm_platform *p, void *addr, size_t len)
{
    struct posix_state *st = p->ctx;
    int rc = remap(p, addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rc != 0)
        return rc;
    st->pop[st->nr_pop++] = (struct extent){(uintptr_t)addr, (uintptr_t)addr + len};
    p->stats.committed += len;
    if (p->stats.committed > p->stats.peak_commit)
        p->stats.peak_commit = p->stats.committed;
    return 0;
}

static int posix_share_zero(struct smm_platform *p, void *addr, size_t len)
{
    return remap(p, addr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

static int posix_protect(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (!aligned(p, addr, len) ||
        !inside_reservation(st, (uintptr_t)addr, (uintptr_t)addr + len))
        return -SMM_EINVAL;
    int mprot = prot == SMM_PROT_RW ? PROT_READ | PROT_WRITE
                : prot == SMM_PROT_READ ? PROT_READ
                                        : PROT_NONE;
    return mprotect(addr, len, mprot) == 0 ? 0 : errno_code();
}

static int posix_release(struct smm_platform *p, void *addr, size_t len)
{
    struct posix_state *st = p->ctx;
    uintptr_t s = (uintptr_t)addr;
    /* release never fails by injection: error paths must be able to undo */
    p->stats.calls++;
    for (size_t i = 0; i < st->nr_res; i++) {
        if (st->res[i].start != s || st->res[i].end != s + len)
            continue;
        uint64_t removed;
        if (decommit(st, s, s + len, &removed) != 0)
            return -SMM_ENOMEM;
        munmap(addr, len);
        p->stats.committed -= removed;
        p->stats.reserved -= len;
        st->res[i] = st->res[--st->nr_res];
        return 0;
    }
    return -SMM_EINVAL;
}

static int posix_machine_setup(struct smm_platform *p, uint64_t span)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (span == 0 || span % p->page_size != 0 || span > (uint64_t)INT64_MAX)
        return -SMM_EINVAL;
    if (st->machine_fd < 0) {
        st->machine_fd = memfd_create("sparsemm-machine", MFD_CLOEXEC);
        if (st->machine_fd < 0)
            return errno_code();
    }
    if (span <= st->machine_span)
        return 0;
    if (ftruncate(st->machine_fd, (off_t)span) != 0)
        return errno_code();
    st->machine_span = span;
    return 0;
}

static int posix_machine_map(struct smm_platform *p, void *addr, uint64_t maddr, size_t len)
{
    struct posix_state *st = p->ctx;
    if (maddr % p->page_size != 0)
        return -SMM_EINVAL;
    if (st->machine_fd < 0 || maddr > st->machine_span || len > st->machine_span - maddr)
        return -SMM_ERANGE;
    return remap(p, addr, len, PROT_READ | PROT_WRITE, MAP_SHARED, st->machine_fd, maddr);
}

int smm_posix_platform_init(struct smm_platform *p)
{
    struct posix_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -SMM_ENOMEM;
    long ps = sysconf(_SC_PAGESIZE);
    *p = (struct smm_platform){
        .ctx = st,
        .page_size = ps > 0 ? (size_t)ps : 4096,
        .reserve = posix_reserve,
        .populate = posix_populate,
        .share_zero = posix_share_zero,
        .protect = posix_protect,
        .release = posix_release,
        .machine_setup = posix_machine_setup,
        .machine_map = posix_machine_map,
    };
    st->machine_fd = -1;
    return 0;
}

void smm_posix_platform_fini(struct smm_platform *p)
{
    struct posix_state *st = p->ctx;
    if (!st)
        return;
    while (st->nr_res > 0)
        posix_release(p, (void *)st->res[0].start, st->res[0].end - st->res[0].start);
    if (st->machine_fd >= 0)
        close(st->machine_fd);
    free(st->res);
    free(st->pop);
    free(st);
    p->ctx = NULL;
}

void smm_posix_fail_at(struct smm_platform *p, uint64_t nth)
{
    struct posix_state *st = p->ctx;
    st->fail_at = nth;
}

size_t smm_posix_live_reservations(const struct smm_platform *p)
{
    const struct posix_state *st = p->ctx;
    return st->nr_res;
}

int smm_posix_machine_fd(const struct smm_platform *p)
{
    const struct posix_state *st = p->ctx;
    return st->machine_fd;
}
