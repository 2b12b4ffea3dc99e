/* SPDX-License-Identifier: MIT */
/*
 * cli_common.c - shared option parsing and map loading for the subcommands,
 * including finding this machine's own memory map.
 */
#include "cli.h"

#include "bytes_text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void cli_map_opts_init(struct cli_map_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = SMM_FMT_AUTO;
    smm_pdx_config_default(&o->pdx);
}

const char *cli_human_bytes(uint64_t bytes, char *buf, size_t len)
{
    return smm_bytes_text(bytes, SMM_BYTES_HUNDREDTHS, buf, len);
}

static int need_value(int argc, char **argv, int *i, const char **val)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "sparsemm: %s needs a value\n", argv[*i]);
        return -1;
    }
    *val = argv[++*i];
    return 0;
}

static int parse_order(const char *opt, const char *val, unsigned lo, unsigned hi, unsigned *out)
{
    uint64_t v;
    if (!cli_number_opt("", opt, val, lo, hi, CLI_UNIT_NUMBER, &v))
        return -1;
    *out = (unsigned)v;
    return 1;
}

int cli_parse_map_opt(struct cli_map_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--json")) {
        o->json = true;
        return 1;
    }
    if (!strcmp(a, "--format")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        o->format = smm_format_from_name(v);
        if (o->format == SMM_FMT_COUNT) {
            fprintf(stderr, "sparsemm: --format: unknown format '%s' (one of", v);
            for (unsigned f = 0; f < SMM_FMT_COUNT; f++)
                fprintf(stderr, " %s", smm_format_name(f));
            fprintf(stderr, ")\n");
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--arch")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        if (!strcmp(v, "x86"))
            o->arch = CLI_ARCH_X86;
        else if (!strcmp(v, "arm"))
            o->arch = CLI_ARCH_ARM;
        else if (!strcmp(v, "riscv"))
            o->arch = CLI_ARCH_RISCV;
        else {
            fprintf(stderr, "sparsemm: --arch: '%s' is not x86, arm or riscv\n", v);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--pdx-base")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        if (!cli_number_opt("", a, v, 0, SMM_MADDR_LIMIT - 1, CLI_UNIT_ADDRESS, &o->base))
            return -1;
        o->have_base = true;
        return 1;
    }
    if (!strcmp(a, "--max-va")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        if (!cli_number_opt("", a, v, 1, UINT64_MAX, CLI_UNIT_BYTES, &o->max_va))
            return -1;
        return 1;
    }
    if (!strcmp(a, "--max-order")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        return parse_order(a, v, 1, 30, &o->pdx.max_order);
    }
    if (!strcmp(a, "--offset-order")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        return parse_order(a, v, 0, SMM_PDX_OFFSET_ORDER_MAX, &o->pdx.offset_order);
    }
    if (!strcmp(a, "--dense-order")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        return parse_order(a, v, 0, SMM_PDX_DENSE_ORDER_MAX, &o->pdx.dense_order);
    }
    return 0;
}

/* /proc/iomem read without privilege shows every address as zero. */
static bool iomem_is_censored(const struct smm_loaded_map *lm)
{
    for (size_t i = 0; i < lm->map.nr; i++)
        if (lm->map.ranges[i].start != 0)
            return false;
    return true;
}

/* The kernel log from /dev/kmsg, records reduced to their message text. */
static char *read_kmsg(size_t *len)
{
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap), rec[8192];
    while (buf) {
        ssize_t r = read(fd, rec, sizeof(rec) - 1);
        if (r < 0 && errno == EPIPE)
            continue; /* overwritten records: keep reading */
        if (r <= 0)
            break;
        rec[r] = '\0';
        char *msg = strchr(rec, ';');
        msg = msg ? msg + 1 : rec;
        char *nl = strchr(msg, '\n');
        size_t mlen = nl ? (size_t)(nl - msg) : strlen(msg);
        if (n + mlen + 2 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        memcpy(buf + n, msg, mlen);
        n += mlen;
        buf[n++] = '\n';
    }
    close(fd);
    *len = n;
    return buf;
}

static int load_this_machine(const struct cli_map_opts *o, struct cli_map *m,
                             struct smm_diag *diag)
{
    if (access("/sys/firmware/memmap", R_OK) == 0 &&
        smm_loaded_map_create("/sys/firmware/memmap", SMM_FMT_SYSFS, &m->lm, diag) == 0) {
        m->origin = "/sys/firmware/memmap";
        return 0;
    }
    smm_loaded_map_destroy(m->lm);
    m->lm = NULL;
    smm_diag_clear(diag); /* each source tried afresh: the last one's reason is the one told */
    if (smm_loaded_map_create("/proc/iomem", SMM_FMT_IOMEM, &m->lm, diag) == 0 &&
        !iomem_is_censored(m->lm)) {
        m->origin = "/proc/iomem";
        return 0;
    }
    smm_loaded_map_destroy(m->lm);
    m->lm = NULL;
    smm_diag_clear(diag);
    size_t len = 0;
    char *log = read_kmsg(&len);
    int rc = -SMM_EEMPTY;
    if (log)
        rc = smm_loaded_map_create_buffer(log, len, "/dev/kmsg", o->format, &m->lm, diag);
    free(log);
    if (rc == 0)
        m->origin = "kernel log (/dev/kmsg)";
    else if (!log)
        smm_diag_set(diag, rc, "sparsemm", 0,
                     "cannot read this machine's memory map (/sys/firmware/memmap, "
                     "/proc/iomem and /dev/kmsg all unavailable); pass a MAPFILE");
    return rc;
}

int cli_load_map(const struct cli_map_opts *o, struct cli_map *m)
{
    struct smm_diag diag = {0};
    int rc = cli_load_map_diag(o, m, &diag);
    if (rc != 0)
        fprintf(stderr, "%s\n", diag.msg);
    return rc;
}

int cli_load_map_diag(const struct cli_map_opts *o, struct cli_map *m, struct smm_diag *diag)
{
    int rc;

    memset(m, 0, sizeof(*m));
    if (o->path)
        rc = smm_loaded_map_create(o->path, o->format, &m->lm, diag);
    else
        rc = load_this_machine(o, m, diag);
    if (rc != 0) {
        smm_diag_set(diag, rc, o->path, 0, "%s", smm_strerror(rc)); /* unless the loader said why */
        cli_map_free(m);
        return CLI_EXIT_USAGE;
    }
    enum cli_arch arch = o->arch;
    if (arch == CLI_ARCH_DEFAULT)
        arch = (m->lm->format == SMM_FMT_DTS || m->lm->format == SMM_FMT_DTB) ? CLI_ARCH_ARM
                                                                             : CLI_ARCH_X86;
    return cli_map_prepare_diag(o, arch, m, diag);
}

int cli_map_prepare(const struct cli_map_opts *o, enum cli_arch arch, struct cli_map *m)
{
    struct smm_diag diag = {0};
    int rc = cli_map_prepare_diag(o, arch, m, &diag);
    if (rc != 0)
        fprintf(stderr, "%s\n", diag.msg);
    return rc;
}

int cli_map_prepare_diag(const struct cli_map_opts *o, enum cli_arch arch, struct cli_map *m,
                         struct smm_diag *diag)
{
    size_t n = smm_memmap_frames(&m->lm->map, NULL, 0);
    m->frames = calloc(n ? n : 1, sizeof(*m->frames));
    if (!m->frames) {
        smm_diag_set(diag, -SMM_ENOMEM, "sparsemm", 0, "out of memory");
        cli_map_free(m);
        return CLI_EXIT_FAIL;
    }
    m->nr_frames = smm_memmap_frames(&m->lm->map, m->frames, n);
    if (m->nr_frames == 0) {
        smm_diag_set(diag, -SMM_EEMPTY, m->lm->source, 0, "no whole 4 KiB frame of RAM");
        cli_map_free(m);
        return CLI_EXIT_USAGE;
    }

    m->arch_name = arch == CLI_ARCH_ARM ? "arm" : arch == CLI_ARCH_RISCV ? "riscv" : "x86";
    m->pdx = o->pdx;
    if (o->have_base)
        m->pdx.base = o->base;
    else
        m->pdx.base = arch != CLI_ARCH_X86 ? 0 : smm_pdx_x86_base(m->frames, m->nr_frames);
    struct rlimit rl;
    m->max_va = CLI_USER_VA;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < m->max_va)
        m->max_va = rl.rlim_cur;
    if (o->max_va)
        m->max_va = o->max_va;
    return 0;
}

bool cli_va_fits(const struct cli_map *m, const char *what, uint64_t need)
{
    if (need <= m->max_va)
        return true;
    fprintf(stderr,
            "%s: map needs %" PRIu64 " bytes of address space for %s, limit %" PRIu64
            " (--max-va)\n",
            m->lm->source, need, what, m->max_va);
    return false;
}

void cli_map_free(struct cli_map *m)
{
    smm_loaded_map_destroy(m->lm);
    m->lm = NULL;
    free(m->frames);
    m->frames = NULL;
}

/* Table options --------------------------------------------------------- */

void cli_table_opts_init(struct cli_table_opts *t)
{
    memset(t, 0, sizeof(*t));
    t->granule_shift = SMM_GRANULE_SHIFT_2M;
    t->compat = true;
    t->layout = *smm_layout_profile(SMM_LAYOUT_XEN_X86_64);
}

static int parse_layout(struct cli_table_opts *t, const char *v)
{
    for (unsigned id = 0; id < SMM_LAYOUT_COUNT; id++)
        if (!strcmp(v, smm_layout_profile(id)->name)) {
            t->layout = *smm_layout_profile(id);
            t->layout_given = true;
            return 1;
        }
    if (strncmp(v, "custom:", 7) != 0) {
        fprintf(stderr, "sparsemm: --layout: '%s' is not xen-x86_64, xen-x86_64-bigmem, "
                        "xen-2009, xen-arm64 or custom:KEY=SIZE,...\n", v);
        return -1;
    }
    t->layout = *smm_layout_profile(SMM_LAYOUT_XEN_X86_64);
    t->layout.name = "custom";
    t->layout_given = true;
    for (const char *p = v + 7; *p;) {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        size_t vlen = comma ? (size_t)(comma - eq - 1) : strlen(eq ? eq + 1 : p);
        uint64_t size = 0;
        char val[64];
        if (eq && vlen < sizeof(val)) {
            memcpy(val, eq + 1, vlen);
            val[vlen] = '\0';
        }
        if (!eq || (comma && comma < eq) || vlen >= sizeof(val) || !cli_parse_u64(val, &size)) {
            fprintf(stderr, "sparsemm: --layout: bad item in '%s'\n", v);
            return -1;
        }
        size_t klen = (size_t)(eq - p);
        struct { const char *key; uint64_t *dst; } keys[] = {
            {"ft", &t->layout.frame_table_va},  {"directmap", &t->layout.directmap_va},
            {"pv", &t->layout.pv_directmap_va}, {"m2p", &t->layout.m2p_va},
            {"compat", &t->layout.compat_va},
        };
        bool found = false;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (strlen(keys[k].key) == klen && !strncmp(p, keys[k].key, klen)) {
                *keys[k].dst = size;
                found = true;
            }
        if (klen == 9 && !strncmp(p, "page-info", 9)) {
            t->layout.page_info_size = (uint32_t)size;
            found = size <= 4096;
        }
        if (!found) {
            fprintf(stderr, "sparsemm: --layout: unknown key or bad value in '%.*s'\n",
                    (int)(klen + 1 + vlen), p);
            return -1;
        }
        p = comma ? comma + 1 : eq + 1 + vlen;
    }
    return 1;
}

int cli_parse_table_opt(struct cli_table_opts *t, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--no-compat")) {
        t->compat = false;
        return 1;
    }
    if (!strcmp(a, "--page-info-size")) {
        unsigned gs;
        uint64_t n;
        if (need_value(argc, argv, i, &v))
            return -1;
        if (!cli_number_opt("", a, v, 8, 4096, CLI_UNIT_NUMBER, &n))
            return -1;
        if (smm_ft_group_shift((uint32_t)n, SMM_GRANULE_SHIFT_4K, &gs) != 0) {
            fprintf(stderr, "sparsemm: --page-info-size: '%s' is not a multiple of 8 in "
                            "8..4096\n", v);
            return -1;
        }
        t->page_info_size = (uint32_t)n;
        return 1;
    }
    if (!strcmp(a, "--granularity")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        if (!strcmp(v, "4k") || !strcmp(v, "4K"))
            t->granule_shift = SMM_GRANULE_SHIFT_4K;
        else if (!strcmp(v, "2m") || !strcmp(v, "2M"))
            t->granule_shift = SMM_GRANULE_SHIFT_2M;
        else {
            fprintf(stderr, "sparsemm: --granularity: '%s' is not 4k or 2m\n", v);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--layout")) {
        if (need_value(argc, argv, i, &v))
            return -1;
        return parse_layout(t, v);
    }
    return 0;
}
