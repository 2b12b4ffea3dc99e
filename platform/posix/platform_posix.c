/* SPDX-License-Identifier: MIT */
/*
 * platform_posix.c - the platform contract over mmap, madvise and mprotect.
 *
 *   reserve     mmap(PROT_NONE, MAP_NORESERVE): address space only
 *   populate    mmap(MAP_FIXED, RW) over the sub-range: fresh zero pages
 *   share_zero  mmap(MAP_FIXED, PROT_READ) + MADV_NOHUGEPAGE: reads map the
 *               kernel's shared zero page, writes fault, nothing is committed
 *   protect     mprotect
 *   release     munmap of a whole reservation
 *   reserve_zero  mmap(RW, MAP_NORESERVE) + MADV_NOHUGEPAGE: one mapping
 *                 whose untouched pages read the shared zero page
 *   commit      MADV_POPULATE_WRITE (Linux 5.14+; before that, one locked
 *               write per page), in place
 *   discard     MADV_DONTNEED, in place: the pages read zero again
 *   machine_setup   memfd_create + ftruncate: the machine's RAM as a sparse
 *                   file whose offset is the machine address
 *   machine_map     mmap(MAP_SHARED | MAP_FIXED) of the memfd at offset maddr
 *
 * Committed bytes are accounted per populated extent (ordinary
 * reservations) or per page in a bitmap (demand-zero ones), so that
 * release, share_zero and discard give back exactly what was taken.
 *
 * Reads of read-as-zero ranges commit nothing (measured by `sparsemm
 * zeropage`, docs/OVERHEAD.md): a read fault on a private anonymous page
 * maps the shared zero page.  Two things would make reads commit, and
 * neither applies here: a transparent huge page on a read fault (THP
 * "always", or MADV_HUGEPAGE, with use_zero_page 0 allocates 2 MiB), which
 * MADV_NOHUGEPAGE rules out; and a shared mapping (a memfd hole read
 * allocates a page), which only machine memory uses.  The huge zero page is
 * not used either: tried under the P2M's list, its holes got no faster, and
 * a write fault into it commits 2 MiB (docs/PERFORMANCE.md, "Holes and
 * stores", `experiment_holes`).  mincore() reports
 * a page mapped to the zero page as resident: it does not measure commit.
 *
 * Every primitive holds one mutex over the bookkeeping and its system
 * call, so threads may share a platform.  When the kernel refuses a
 * mapping with ENOMEM while the process is at vm.max_map_count, the error
 * is -SMM_EMAPLIMIT and smm_posix_describe gives the numbers.
 */
#include <sparsemm/platform/posix/platform_posix.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct extent {
    uintptr_t start, end;
};

/* A live reservation; demand-zero ones carry a bit per committed page. */
struct reservation {
    uintptr_t start, end;
    uint64_t *committed; /* NULL: an ordinary reservation */
};

struct posix_state {
    pthread_mutex_t lock;    /* over everything below and the stats */
    struct reservation *res; /* live reservations */
    size_t nr_res, cap_res;
    struct extent *pop; /* populated extents of ordinary reservations (disjoint) */
    size_t nr_pop, cap_pop;
    uint64_t fail_at; /* call number that fails; 0 = never */
    int machine_fd;   /* memfd holding machine memory; -1 until set up */
    uint64_t machine_span;
    uint64_t maps_seen, map_limit; /* at the last -SMM_EMAPLIMIT */
};

static int grow_array(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return -SMM_ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

static int grow(struct extent **v, size_t *cap, size_t need)
{
    return grow_array((void **)v, cap, need, sizeof(**v));
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

/* The reservation holding [s, e), or NULL. */
static struct reservation *find_reservation(const struct posix_state *st, uintptr_t s, uintptr_t e)
{
    for (size_t i = 0; i < st->nr_res; i++)
        if (s >= st->res[i].start && e <= st->res[i].end)
            return &st->res[i];
    return NULL;
}

/* A sub-range inside an ordinary (zero_kind false) or demand-zero reservation. */
static struct reservation *sub_range(const struct smm_platform *p, const void *addr, size_t len,
                                     bool zero_kind)
{
    const struct posix_state *st = p->ctx;
    if (!aligned(p, addr, len))
        return NULL;
    struct reservation *r = find_reservation(st, (uintptr_t)addr, (uintptr_t)addr + len);
    return r && (r->committed != NULL) == zero_kind ? r : NULL;
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

/* A number from a one-line proc file, or 0. */
static uint64_t read_proc_u64(const char *path)
{
    char buf[32] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? strtoull(buf, NULL, 10) : 0;
}

/* Lines of /proc/self/maps: the process's mappings (plus the vsyscall page). */
static uint64_t count_maps(void)
{
    char buf[65536];
    uint64_t lines = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    }
    close(fd);
    return lines;
}

/*
 * The code for a failed system call (errno).  Linux answers ENOMEM both
 * when memory is refused and when a call would take the process past
 * vm.max_map_count mappings (a call adds at most two): tell them apart, for
 * the calls that can add a mapping (may_map: mmap, mprotect, a madvise that
 * changes a range's flags); for the others ENOMEM is memory.
 */
static int errno_code(struct posix_state *st, bool may_map)
{
    int e = errno;
    if (e == ENOMEM && may_map) {
        uint64_t limit = read_proc_u64("/proc/sys/vm/max_map_count"), maps = count_maps();
        if (limit != 0 && maps + 3 > limit) {
            st->maps_seen = maps;
            st->map_limit = limit;
            return -SMM_EMAPLIMIT;
        }
    }
    return e == ENOMEM || e == EAGAIN ? -SMM_ENOMEM : -SMM_EFAULT;
}

/* MADV_NOHUGEPAGE: a read fault maps the 4 KiB zero page, never a huge page. */
static int no_huge_pages(struct posix_state *st, void *addr, size_t len)
{
    if (madvise(addr, len, MADV_NOHUGEPAGE) == 0 || errno == EINVAL) /* EINVAL: no THP */
        return 0;
    return errno_code(st, true);
}

static void lock(struct smm_platform *p)
{
    struct posix_state *st = p->ctx;
    pthread_mutex_lock(&st->lock);
}

static int unlock(struct smm_platform *p, int rc)
{
    struct posix_state *st = p->ctx;
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static void account_commit(struct smm_platform *p, uint64_t bytes)
{
    p->stats.committed += bytes;
    if (p->stats.committed > p->stats.peak_commit)
        p->stats.peak_commit = p->stats.committed;
}

/* mmap a new reservation of len bytes and record it (zero_kind: demand-zero). */
static int new_reservation(struct smm_platform *p, size_t len, bool zero_kind, void **out)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (len == 0 || len % p->page_size != 0)
        return -SMM_EINVAL;
    if (grow_array((void **)&st->res, &st->cap_res, st->nr_res + 1, sizeof(*st->res)) != 0)
        return -SMM_ENOMEM;
    int prot = zero_kind ? PROT_READ | PROT_WRITE : PROT_NONE;
    void *a = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED)
        return errno_code(st, true);
    uint64_t *bits = NULL; /* after the mmap: no bitmap for space that is not there */
    if (zero_kind) {
        bits = calloc((len / p->page_size + 63) / 64, sizeof(*bits));
        rc = bits ? no_huge_pages(st, a, len) : -SMM_ENOMEM;
    }
    if (rc != 0) {
        munmap(a, len);
        free(bits);
        return rc;
    }
    st->res[st->nr_res++] = (struct reservation){(uintptr_t)a, (uintptr_t)a + len, bits};
    p->stats.reserved += len;
    *out = a;
    return 0;
}

static int posix_reserve(struct smm_platform *p, size_t len, void **out)
{
    lock(p);
    return unlock(p, new_reservation(p, len, false, out));
}

static int posix_reserve_zero(struct smm_platform *p, size_t len, void **out)
{
    lock(p);
    return unlock(p, new_reservation(p, len, true, out));
}

/* mmap(MAP_FIXED) over part of an ordinary reservation; populated bytes there are given back. */
static int remap(struct smm_platform *p, void *addr, size_t len, int prot, int flags, int fd,
                 uint64_t off)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    if (!sub_range(p, addr, len, false))
        return -SMM_EINVAL;
    if (grow(&st->pop, &st->cap_pop, st->nr_pop + 2) != 0)
        return -SMM_ENOMEM;
    void *a = mmap(addr, len, prot, flags | MAP_FIXED, fd, (off_t)off);
    if (a == MAP_FAILED)
        return errno_code(st, true);
    uint64_t removed;
    decommit(st, (uintptr_t)addr, (uintptr_t)addr + len, &removed); /* room ensured */
    p->stats.committed -= removed;
    return 0;
}

static int posix_populate(struct smm_platform *p, void *addr, size_t len)
{
    struct posix_state *st = p->ctx;
    lock(p);
    int rc = remap(p, addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rc != 0)
        return unlock(p, rc);
    st->pop[st->nr_pop++] = (struct extent){(uintptr_t)addr, (uintptr_t)addr + len};
    account_commit(p, len);
    return unlock(p, 0);
}

static int posix_share_zero(struct smm_platform *p, void *addr, size_t len)
{
    lock(p);
    int rc = remap(p, addr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* The range is the zero mapping now: a refused MADV_NOHUGEPAGE (the map
     * count) leaves it correct, only open to THP's read faults; not a failure. */
    if (rc == 0)
        (void)no_huge_pages(p->ctx, addr, len);
    return unlock(p, rc);
}

static int posix_protect(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot)
{
    struct posix_state *st = p->ctx;
    lock(p);
    int rc = enter(p);
    if (rc != 0)
        return unlock(p, rc);
    if (!aligned(p, addr, len) || !find_reservation(st, (uintptr_t)addr, (uintptr_t)addr + len))
        return unlock(p, -SMM_EINVAL);
    int mprot = prot == SMM_PROT_RW     ? PROT_READ | PROT_WRITE
                : prot == SMM_PROT_READ ? PROT_READ
                                        : PROT_NONE;
    return unlock(p, mprotect(addr, len, mprot) == 0 ? 0 : errno_code(st, true));
}

/* Set (on) or clear the bits of pages [first, first + n); return how many changed. */
static uint64_t flip_pages(uint64_t *bits, uint64_t first, uint64_t n, bool on)
{
    uint64_t changed = 0;
    for (uint64_t i = first; i < first + n; i++) {
        uint64_t m = UINT64_C(1) << (i % 64), w = bits[i / 64];
        changed += ((w & m) != 0) != on;
        bits[i / 64] = on ? w | m : w & ~m;
    }
    return changed;
}

/* Fault every page in for writing, without changing a byte (kernels before 5.14). */
static void touch_for_write(void *addr, size_t len, size_t page)
{
    for (size_t o = 0; o < len; o += page)
        __atomic_fetch_or((uint64_t *)(void *)((char *)addr + o), 0, __ATOMIC_RELAXED);
}

/* Commit (on) or discard the pages of a sub-range of a demand-zero reservation, in place. */
static int in_place(struct smm_platform *p, void *addr, size_t len, bool on)
{
    struct posix_state *st = p->ctx;
    int rc = enter(p);
    if (rc != 0)
        return rc;
    struct reservation *r = sub_range(p, addr, len, true);
    if (!r)
        return -SMM_EINVAL;
    if (madvise(addr, len, on ? MADV_POPULATE_WRITE : MADV_DONTNEED) != 0) {
        if (!on || errno != EINVAL) /* EINVAL: no MADV_POPULATE_WRITE before 5.14 */
            return errno_code(st, false);
        touch_for_write(addr, len, p->page_size);
    }
    uint64_t first = ((uintptr_t)addr - r->start) / p->page_size;
    uint64_t bytes = flip_pages(r->committed, first, len / p->page_size, on) * p->page_size;
    if (on)
        account_commit(p, bytes);
    else
        p->stats.committed -= bytes;
    return 0;
}

static int posix_commit(struct smm_platform *p, void *addr, size_t len)
{
    lock(p);
    return unlock(p, in_place(p, addr, len, true));
}

static int posix_discard(struct smm_platform *p, void *addr, size_t len)
{
    lock(p);
    return unlock(p, in_place(p, addr, len, false));
}

static int release_locked(struct smm_platform *p, void *addr, size_t len)
{
    struct posix_state *st = p->ctx;
    uintptr_t s = (uintptr_t)addr;
    /* release never fails by injection: error paths must be able to undo */
    p->stats.calls++;
    for (size_t i = 0; i < st->nr_res; i++) {
        struct reservation *r = &st->res[i];
        if (r->start != s || r->end != s + len)
            continue;
        uint64_t removed = 0;
        if (r->committed)
            removed = flip_pages(r->committed, 0, len / p->page_size, false) * p->page_size;
        else if (decommit(st, s, s + len, &removed) != 0)
            return -SMM_ENOMEM;
        munmap(addr, len);
        free(r->committed);
        p->stats.committed -= removed;
        p->stats.reserved -= len;
        st->res[i] = st->res[--st->nr_res];
        return 0;
    }
    return -SMM_EINVAL;
}

static int posix_release(struct smm_platform *p, void *addr, size_t len)
{
    lock(p);
    return unlock(p, release_locked(p, addr, len));
}

static int posix_machine_setup(struct smm_platform *p, uint64_t span)
{
    struct posix_state *st = p->ctx;
    lock(p);
    int rc = enter(p);
    if (rc != 0)
        return unlock(p, rc);
    if (span == 0 || span % p->page_size != 0 || span > (uint64_t)INT64_MAX)
        return unlock(p, -SMM_EINVAL);
    if (st->machine_fd < 0) {
        st->machine_fd = memfd_create("sparsemm-machine", MFD_CLOEXEC);
        if (st->machine_fd < 0)
            return unlock(p, errno_code(st, false));
    }
    if (span <= st->machine_span)
        return unlock(p, 0);
    if (ftruncate(st->machine_fd, (off_t)span) != 0)
        return unlock(p, errno_code(st, false));
    st->machine_span = span;
    return unlock(p, 0);
}

static int posix_machine_map(struct smm_platform *p, void *addr, uint64_t maddr, size_t len)
{
    struct posix_state *st = p->ctx;
    lock(p);
    if (maddr % p->page_size != 0)
        return unlock(p, -SMM_EINVAL);
    if (st->machine_fd < 0 || maddr > st->machine_span || len > st->machine_span - maddr)
        return unlock(p, -SMM_ERANGE);
    return unlock(p,
                  remap(p, addr, len, PROT_READ | PROT_WRITE, MAP_SHARED, st->machine_fd, maddr));
}

int smm_posix_platform_init(struct smm_platform *p)
{
    struct posix_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -SMM_ENOMEM;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return -SMM_ENOMEM;
    }
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
        .reserve_zero = posix_reserve_zero,
        .commit = posix_commit,
        .discard = posix_discard,
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
        release_locked(p, (void *)st->res[0].start, st->res[0].end - st->res[0].start);
    if (st->machine_fd >= 0)
        close(st->machine_fd);
    pthread_mutex_destroy(&st->lock);
    free(st->res);
    free(st->pop);
    free(st);
    p->ctx = NULL;
}

void smm_posix_fail_at(struct smm_platform *p, uint64_t nth)
{
    struct posix_state *st = p->ctx;
    lock(p);
    st->fail_at = nth;
    unlock(p, 0);
}

size_t smm_posix_live_reservations(const struct smm_platform *p)
{
    struct posix_state *st = p->ctx;
    pthread_mutex_lock(&st->lock);
    size_t n = st->nr_res;
    pthread_mutex_unlock(&st->lock);
    return n;
}

int smm_posix_machine_fd(const struct smm_platform *p)
{
    struct posix_state *st = p->ctx;
    pthread_mutex_lock(&st->lock);
    int fd = st->machine_fd;
    pthread_mutex_unlock(&st->lock);
    return fd;
}

const char *smm_posix_describe(const struct smm_platform *p, int code, char *buf, size_t len)
{
    struct posix_state *st = p->ctx;
    if (len == 0)
        return "";
    if (code != -SMM_EMAPLIMIT && code != SMM_EMAPLIMIT) {
        snprintf(buf, len, "%s", smm_strerror(code));
        return buf;
    }
    pthread_mutex_lock(&st->lock);
    uint64_t maps = st->maps_seen, limit = st->map_limit;
    pthread_mutex_unlock(&st->lock);
    snprintf(buf, len, "%s: the process had %llu mappings, vm.max_map_count is %llu",
             smm_strerror(code), (unsigned long long)maps, (unsigned long long)limit);
    return buf;
}
