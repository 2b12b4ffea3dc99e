/* SPDX-License-Identifier: MIT */
/*
 * test_platform.c - the POSIX platform's demand-zero reservations and its
 * errors:
 *  - reserve_zero / commit / discard: exact accounting (a page counts once),
 *    the kernel's Rss agrees, reads of a whole never-committed range commit
 *    nothing (and nothing when huge pages would be allowed: the platform
 *    asks for none), misuse refused with -SMM_EINVAL;
 *  - a process at vm.max_map_count (a child exhausts its mappings): a call
 *    that needs a mapping fails with -SMM_EMAPLIMIT, and the description
 *    names vm.max_map_count and the numbers; a P2M made before still takes
 *    stores (it needs no mapping per leaf);
 *  - a process short of address space (2^62 bytes asked): -SMM_ENOMEM.
 */
#include "tables_host.h"
#include "tiny.h"

#include <sparsemm/platform/posix/platform_posix.h>
#include <sparsemm/p2m.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096u

static uint64_t rss_of(const void *a, size_t len)
{
    uint64_t rss = 0, anon = 0;
    CHECK_EQ_INT(smaps_sum((uintptr_t)a, (uintptr_t)a + len, &rss, &anon), 0);
    return rss;
}

static void read_all(const void *a, size_t len)
{
    const volatile uint8_t *b = a;
    uint64_t sum = 0;
    for (size_t o = 0; o < len; o += PG)
        sum += b[o];
    CHECK_EQ_U64(sum, 0);
}

static void test_demand_zero(void)
{
    struct smm_platform plat;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    size_t len = (size_t)256 << 20;
    uint8_t *a = NULL, *o = NULL;
    CHECK_EQ_INT(plat.reserve_zero(&plat, len, (void **)&a), 0);
    CHECK_EQ_U64(plat.stats.reserved, len);
    CHECK_EQ_U64(plat.stats.committed, 0);
    /* every page read: nothing committed, in the platform's count or the kernel's */
    read_all(a, len);
    CHECK_EQ_U64(rss_of(a, len), 0);
    /* commit counts each page once, keeps contents, Rss agrees */
    CHECK_EQ_INT(plat.commit(&plat, a + 10 * PG, 4 * PG), 0);
    a[10 * PG] = 42;
    CHECK_EQ_INT(plat.commit(&plat, a + 8 * PG, 8 * PG), 0);
    CHECK_EQ_U64(a[10 * PG], 42);
    CHECK_EQ_U64(plat.stats.committed, 8 * PG);
    CHECK_EQ_U64(rss_of(a, len), 8 * PG);
    /* discard gives back only what was committed; the pages read 0 again */
    CHECK_EQ_INT(plat.discard(&plat, a, 12 * PG), 0);
    CHECK_EQ_U64(plat.stats.committed, 4 * PG);
    CHECK_EQ_U64(a[10 * PG], 0);
    CHECK_EQ_U64(rss_of(a, len), 4 * PG);
    CHECK_EQ_U64(plat.stats.peak_commit, 8 * PG);
    /* misuse: unaligned, outside, the wrong kind of reservation */
    CHECK_EQ_INT(plat.commit(&plat, a + 1, PG), -SMM_EINVAL);
    CHECK_EQ_INT(plat.commit(&plat, a + len, PG), -SMM_EINVAL);
    CHECK_EQ_INT(plat.populate(&plat, a, PG), -SMM_EINVAL);
    CHECK_EQ_INT(plat.share_zero(&plat, a, PG), -SMM_EINVAL);
    CHECK_EQ_INT(plat.reserve(&plat, 16 * PG, (void **)&o), 0);
    CHECK_EQ_INT(plat.commit(&plat, o, PG), -SMM_EINVAL);
    CHECK_EQ_INT(plat.discard(&plat, o, PG), -SMM_EINVAL);
    /* share_zero ranges read as zero without committing either */
    CHECK_EQ_INT(plat.share_zero(&plat, o, 16 * PG), 0);
    read_all(o, 16 * PG);
    CHECK_EQ_U64(rss_of(o, 16 * PG), 0);
    /* a stray-write trap where wanted: protect works on demand-zero pages */
    CHECK_EQ_INT(plat.protect(&plat, a + 100 * PG, PG, SMM_PROT_READ), 0);
    read_all(a + 100 * PG, PG);
    /* fault injection reaches the new calls */
    smm_posix_fail_at(&plat, 1);
    CHECK_EQ_INT(plat.commit(&plat, a, PG), -SMM_ENOMEM);
    CHECK_EQ_U64(plat.stats.committed, 4 * PG);
    CHECK_EQ_INT(plat.release(&plat, a, len), 0);
    CHECK_EQ_INT(plat.release(&plat, o, 16 * PG), 0);
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(plat.stats.reserved, 0);
    smm_posix_platform_fini(&plat);
}

/* Run fn in a child; its checks count there, its exit status here. */
static void __attribute__((unused)) in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        tiny_current_failed = 0;
        fn();
        fflush(stdout);
        _exit(tiny_current_failed ? 1 : 0);
    }
    int status = 0;
    CHECK(pid > 0);
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static uint64_t read_u64(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static void __attribute__((unused)) exhaust_mappings(void)
{
    uint64_t limit = read_u64("/proc/sys/vm/max_map_count");
    CHECK(limit > 0);
    struct smm_platform plat;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    /* made before the process runs out: an ordinary and a demand-zero
     * reservation, and a P2M of each backend */
    uint8_t *r = NULL, *z = NULL;
    CHECK_EQ_INT(plat.reserve(&plat, 16 * PG, (void **)&r), 0);
    CHECK_EQ_INT(plat.reserve_zero(&plat, 16 * PG, (void **)&z), 0);
    struct smm_p2m *p2m[2] = {NULL, NULL};
    for (int b = 0; b < 2; b++) {
        struct smm_p2m_config cfg;
        smm_p2m_config_default(&cfg);
        cfg.backend = (enum smm_p2m_backend)b;
        cfg.max_pfn = UINT64_C(1) << 26; /* 256 GiB */
        CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p2m[b], NULL), 0);
    }
    if (!p2m[0] || !p2m[1] || !r || !z)
        return;
    /* the platform's extent array grown now: nothing below allocates (a
     * sanitizer's allocator would need mappings of its own) */
    CHECK_EQ_INT(plat.populate(&plat, r + 12 * PG, PG), 0);
    /* every other page of a big region read-only: a mapping each, until refused */
    size_t pages = (size_t)limit * 2 + 64;
    uint8_t *big =
        mmap(NULL, pages * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(big != MAP_FAILED);
    size_t i = 0;
    while (i < pages && mprotect(big + i * PG, PG, PROT_READ) == 0)
        i += 2;
    CHECK(i < pages); /* refused before the end */
    /* what needs a mapping is refused as such, with the numbers */
    char why[200];
    int rc = plat.populate(&plat, r + 4 * PG, PG);
    CHECK_EQ_INT(rc, -SMM_EMAPLIMIT);
    smm_posix_describe(&plat, rc, why, sizeof(why));
    printf("  at the limit: %s\n", why);
    char num[32];
    snprintf(num, sizeof(num), "vm.max_map_count is %llu", (unsigned long long)limit);
    CHECK(strstr(why, num) != NULL);
    CHECK(strstr(why, "out of memory") == NULL || strstr(why, "not out of memory") != NULL);
    CHECK_EQ_INT(plat.protect(&plat, z + 4 * PG, PG, SMM_PROT_READ), -SMM_EMAPLIMIT);
    CHECK(strstr(smm_strerror(-SMM_EMAPLIMIT), "vm.max_map_count") != NULL);
    /* the P2Ms need none: a store per leaf over 64 leaves still succeeds */
    for (int b = 0; b < 2; b++)
        for (uint64_t l = 0; l < 64; l++)
            CHECK_EQ_INT(smm_p2m_store(p2m[b], l * 1024 + 3, 0x1234 + l), 0);
    for (int b = 0; b < 2; b++) {
        CHECK_EQ_U64(smm_p2m_load(p2m[b], 63 * 1024 + 3), 0x1234 + 63);
        smm_p2m_destroy(p2m[b]);
    }
    munmap(big, pages * PG);
    smm_posix_platform_fini(&plat);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void test_map_limit(void)
{
#ifdef UNDER_ASAN
    /* ASan's allocator maps memory for its own bookkeeping and aborts when
     * the kernel refuses: the plain and TSan builds run this one */
    printf("  test_map_limit: skipped under AddressSanitizer\n");
#else
    in_child(exhaust_mappings);
#endif
}

/* More address space than a process has (2^62 bytes): ENOMEM, far from the map limit. */
static void test_enomem_is_memory(void)
{
    struct smm_platform plat;
    void *a = NULL;
    size_t huge = (size_t)1 << 62;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(plat.reserve_zero(&plat, huge, &a), -SMM_ENOMEM);
    CHECK_EQ_INT(plat.reserve(&plat, huge, &a), -SMM_ENOMEM);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

int main(void)
{
    TINY_RUN(test_demand_zero);
    TINY_RUN(test_map_limit);
    TINY_RUN(test_enomem_is_memory);
    return tiny_finish();
}
