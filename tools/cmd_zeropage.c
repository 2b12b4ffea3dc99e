/* SPDX-License-Identifier: MIT */
/*
 * cmd_zeropage.c - `sparsemm zeropage [--mib N] [--json]`: what reading
 * never-written memory costs on this kernel.  Each case maps N MiB (256 by
 * default), reads one byte of every page and reports how much the
 * process's resident set grew (/proc/self/statm) and how many pages
 * mincore() calls resident:
 *
 *   platform-demand-zero   the platform's reserve_zero (RW, MADV_NOHUGEPAGE)
 *   platform-share-zero    the platform's reserve + share_zero (read-only)
 *   private-hugepage       private anonymous with MADV_HUGEPAGE (what THP
 *                          "always" does to every mapping)
 *   private-nohugepage     private anonymous with MADV_NOHUGEPAGE
 *   memfd-shared           a memfd hole mapped MAP_SHARED (machine memory)
 *
 * Exit 1 when a platform case committed memory although the kernel shares
 * its zero page (private-nohugepage read for free), else 0.
 * docs/OVERHEAD.md quotes what it measured.
 */
#include "cli.h"
#include "json_writer.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { DEMAND_ZERO, SHARE_ZERO, HUGE, NOHUGE, MEMFD, NCASES };
static const char *const case_names[NCASES] = {"platform-demand-zero", "platform-share-zero",
                                               "private-hugepage", "private-nohugepage",
                                               "memfd-shared"};

struct zp_case {
    int64_t rss_growth; /* bytes */
    uint64_t incore;    /* pages mincore calls resident */
    int err;            /* 0, or why the case could not run */
};

static int64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, res = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (int64_t)res * (int64_t)sysconf(_SC_PAGESIZE);
}

/* A line of a sysfs file, without its newline; "?" if unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    snprintf(buf, len, "?");
    if (f) {
        if (fgets(buf, (int)len, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
}

/* Read a byte of every page, then measure; `mem` is unmapped by the caller. */
static void measure(struct zp_case *c, const uint8_t *mem, size_t len, size_t page,
                    unsigned char *vec)
{
    int64_t before = resident_bytes();
    volatile uint8_t sink = 0;
    for (size_t o = 0; o < len; o += page)
        sink ^= mem[o];
    (void)sink;
    c->rss_growth = resident_bytes() - before;
    c->incore = 0;
    if (mincore((void *)(uintptr_t)mem, len, vec) == 0)
        for (size_t i = 0; i < len / page; i++)
            c->incore += vec[i] & 1;
}

static void run_private(struct zp_case *c, size_t len, size_t page, int advice, unsigned char *vec)
{
    uint8_t *m =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        c->err = -SMM_ENOMEM;
        return;
    }
    madvise(m, len, advice); /* EINVAL without THP: the case reads as nohugepage */
    measure(c, m, len, page, vec);
    munmap(m, len);
}

static void run_cases(struct zp_case *cs, size_t len, unsigned char *vec)
{
    struct smm_platform plat;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *m = NULL;
    struct zp_case warm = {0};
    /* a first, unreported pass: the command's own first touches (stdio
     * buffers, the platform's bookkeeping) are not any case's */
    run_private(&warm, 16 * page, page, MADV_NOHUGEPAGE, vec);
    if (smm_posix_platform_init(&plat) == 0) {
        cs[DEMAND_ZERO].err = plat.reserve_zero(&plat, len, &m);
        if (cs[DEMAND_ZERO].err == 0) {
            measure(&cs[DEMAND_ZERO], m, len, page, vec);
            plat.release(&plat, m, len);
        }
        m = NULL;
        cs[SHARE_ZERO].err = plat.reserve(&plat, len, &m);
        if (cs[SHARE_ZERO].err == 0 && (cs[SHARE_ZERO].err = plat.share_zero(&plat, m, len)) == 0)
            measure(&cs[SHARE_ZERO], m, len, page, vec);
        if (m)
            plat.release(&plat, m, len);
        smm_posix_platform_fini(&plat);
    }
    run_private(&cs[HUGE], len, page, MADV_HUGEPAGE, vec);
    run_private(&cs[NOHUGE], len, page, MADV_NOHUGEPAGE, vec);
    int fd = memfd_create("sparsemm-zeropage", MFD_CLOEXEC);
    uint8_t *s = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)len) == 0)
        s = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (s != MAP_FAILED) {
        measure(&cs[MEMFD], s, len, page, vec);
        munmap(s, len);
    } else {
        cs[MEMFD].err = -SMM_EFAULT;
    }
    if (fd >= 0)
        close(fd);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm zeropage [--mib N] [--json]\n"
               "Map N MiB (default 256) several ways, read every page once, and report the\n"
               "resident-set growth and mincore's count: does this kernel share its zero page?\n");
}

int cmd_zeropage(int argc, char **argv)
{
    uint64_t mib = 256;
    bool json = false;
    const struct cli_u64_opt opts[] = {{"--mib", &mib, 1, 65536, CLI_UNIT_NUMBER, NULL}};
    int rc = cli_parse_opts(argc, argv, "zeropage", opts, 1, &json, usage);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    size_t len = (size_t)mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    struct zp_case cs[NCASES] = {{0}};
    unsigned char *vec = malloc(len / page);
    if (!vec) {
        fprintf(stderr, "sparsemm zeropage: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    memset(vec, 0, len / page); /* resident before any measurement */
    run_cases(cs, len, vec);
    free(vec);

    struct utsname u;
    char thp[128], zp[32];
    if (uname(&u) != 0)
        snprintf(u.release, sizeof(u.release), "?");
    read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));
    read_line("/sys/kernel/mm/transparent_hugepage/use_zero_page", zp, sizeof(zp));
    /* the kernel shares its zero page when a plain 4 KiB read fault commits nothing */
    bool shared = cs[NOHUGE].err == 0 && cs[NOHUGE].rss_growth < (int64_t)(len / 16);
    bool platform_free = true;
    for (int c = DEMAND_ZERO; c <= SHARE_ZERO; c++)
        platform_free &= cs[c].err == 0 && cs[c].rss_growth < (int64_t)(len / 16);

    if (json) {
        struct smm_json j;
        smm_json_document_begin(&j, stdout, "sparsemm.zeropage/1");
        smm_json_key(&j, "kernel");
        smm_json_string(&j, u.release);
        smm_json_key(&j, "thp_enabled");
        smm_json_string(&j, thp);
        smm_json_key(&j, "thp_use_zero_page");
        smm_json_string(&j, zp);
        smm_json_key(&j, "bytes_read");
        smm_json_u64(&j, len);
        smm_json_key(&j, "zero_page_shared");
        smm_json_bool(&j, shared);
        smm_json_key(&j, "platform_reads_commit_nothing");
        smm_json_bool(&j, platform_free);
        smm_json_key(&j, "cases");
        smm_json_array_begin(&j);
        for (int c = 0; c < NCASES; c++) {
            smm_json_object_begin(&j);
            smm_json_key(&j, "name");
            smm_json_string(&j, case_names[c]);
            smm_json_key(&j, "ok");
            smm_json_bool(&j, cs[c].err == 0);
            smm_json_key(&j, "rss_growth_bytes");
            smm_json_i64(&j, cs[c].rss_growth);
            smm_json_key(&j, "mincore_resident_pages");
            smm_json_u64(&j, cs[c].incore);
            smm_json_object_end(&j);
        }
        smm_json_array_end(&j);
        smm_json_object_end(&j);
        smm_json_finish(&j);
    } else {
        printf("zeropage: kernel %s, THP enabled: %s, use_zero_page: %s\n", u.release, thp, zp);
        printf("  read one byte of each of %zu pages (%" PRIu64 " MiB):\n", len / page, mib);
        printf("  %-22s %16s %16s\n", "mapping", "RSS growth KiB", "mincore pages");
        for (int c = 0; c < NCASES; c++) {
            if (cs[c].err != 0)
                printf("  %-22s %s\n", case_names[c], smm_strerror(cs[c].err));
            else
                printf("  %-22s %16" PRId64 " %16" PRIu64 "\n", case_names[c],
                       cs[c].rss_growth / 1024, cs[c].incore);
        }
        printf("  the kernel %s its zero page; the platform's read-as-zero ranges %s\n",
               shared ? "shares" : "does not share",
               platform_free ? "commit nothing on read" : "COMMIT MEMORY ON READ");
    }
    return shared && !platform_free ? CLI_EXIT_FAIL : 0;
}
