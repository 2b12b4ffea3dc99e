/* SPDX-License-Identifier: MIT */
/*
 * cmd_survey.c - `sparsemm survey FILE|DIR... [--json]`: many machines at
 * once, one file per machine (directories are walked, entries in name
 * order).  Every file is read as one machine (io/machine.h: every kind of
 * memory-map line in it, the architecture from the log unless --arch) and
 * becomes one row computed by survey_row_compute(): RAM, span, RAM/span,
 * NUMA nodes, hot-plug windows, CXL, soft-reserved and persistent memory,
 * Xen's verdict (io/xen_verdict.h: what the Xen the log names, else the
 * current one, does), whether each of Xen's schemes (mask, offset) could
 * compress the RAM at all, the best scheme with its density and what its
 * tables cost as a share of RAM.  A summary follows: how many are sparse,
 * how often Xen compresses, medians, the hardest machines.  A file that
 * cannot be read is reported as "file:line: reason", counted, and the survey
 * goes on; the exit status is 2 when any file failed, else 0.  Text, or one
 * JSON document (schema sparsemm.survey/1; fields are only ever added).  On a
 * terminal (stderr a tty) a progress bar runs on stderr.
 */
#include "cli.h"
#include "cli_analysis.h"
#include "json_writer.h"
#include "machine_report.h"

#include <dirent.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SURVEY_SCHEMA "sparsemm.survey/1"
/* A machine is sparse when its RAM covers less than this share of its span. */
#define SURVEY_SPARSE_BELOW 0.5
#define SURVEY_HARDEST 5
#define SURVEY_MAX_DEPTH 8

struct survey_row {
    char *file; /* as given, or DIR/relative path */
    char *real; /* its canonical path: a file given twice is surveyed once */
    bool ok;
    char reason[sizeof(((struct smm_diag *)0)->msg)];
    const char *arch, *format;
    uint64_t ram_bytes, span_bytes;
    double ram_per_span;
    unsigned nodes; /* distinct NUMA nodes the RAM ranges name (0: none named) */
    uint64_t soft_reserved_bytes, pmem_bytes;
    uint64_t hotplug_bytes, cxl_bytes; /* SRAT hot-plug windows; CXL memory (not its windows) */
    bool verdict_compresses;           /* Xen's own decision (xen_verdict.h) */
    const char *verdict_scheme;        /* the scheme that Xen builds with */
    char verdict_reason[256];
    bool compresses[SMM_PDX_SCHEME_COUNT];
    uint64_t max_pdx[SMM_PDX_SCHEME_COUNT];
    double density[SMM_PDX_SCHEME_COUNT];
    uint64_t overhead[SMM_PDX_SCHEME_COUNT];
    bool fits[SMM_PDX_SCHEME_COUNT];
    enum smm_pdx_scheme best;
    bool best_fits;
    double best_percent; /* the best scheme's tables, % of RAM */
    double xen_density;  /* the densest of Xen's schemes: none, mask, offset */
    double dense_gain;   /* dense's density over xen_density */
    double dense_table_gain; /* Xen's cheapest tables over dense's */
};

struct survey {
    struct survey_row *rows;
    size_t nr, cap;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm survey FILE|DIR... [--json] [--format F] [--arch x86|arm|riscv]\n"
               "                       [--max-order N] [--offset-order N] [--dense-order N]\n"
               "                       [table options as for analyze]\n"
               "One map file per machine; a DIR is walked (sub-directories too, names in\n"
               "order, dot files skipped).  One row per machine and a summary; a file that\n"
               "cannot be read is reported, counted, and the survey goes on (exit status 2\n"
               "when any failed).  --json: one document, schema " SURVEY_SCHEMA ".\n");
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distinct NUMA node ids over the RAM ranges; -1 when out of memory. */
static long count_nodes(const struct smm_memmap *map)
{
    int32_t *ids = malloc((map->nr ? map->nr : 1) * sizeof(*ids));
    if (!ids)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < map->nr; i++)
        if (map->ranges[i].type == SMM_MEM_RAM && map->ranges[i].node != SMM_NODE_NONE)
            ids[n++] = map->ranges[i].node;
    qsort(ids, n, sizeof(*ids), cmp_i32);
    long distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || ids[i] != ids[i - 1];
    free(ids);
    return distinct;
}

/* Xen's own verdict on the machine (scheme, whether it compresses, why). */
static int row_verdict(const struct smm_machine *mach, struct survey_row *r)
{
    struct smm_xen_options xo;
    struct smm_xen_verdict *v = NULL;
    smm_xen_options_default(&xo);
    int rc = smm_xen_verdict_create(mach, &xo, &v);
    if (rc != 0)
        return rc;
    r->verdict_compresses = v->compresses;
    r->verdict_scheme = smm_pdx_scheme_name(v->scheme);
    snprintf(r->verdict_reason, sizeof(r->verdict_reason), "%s", v->reason);
    smm_xen_verdict_destroy(v);
    return 0;
}

/*
 * survey_row_compute - one machine's row: mach is the machine as read, m
 * its analysis map.  The single place a row is computed.
 */
static int survey_row_compute(const struct smm_machine *mach, const struct cli_map *m,
                              const struct cli_table_opts *t, struct survey_row *r)
{
    int rc = row_verdict(mach, r);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < mach->special.n; i++) {
        const struct smm_mrange *sp = &mach->special.v[i];
        if (sp->flags & SMM_MF_HOTPLUG)
            r->hotplug_bytes += sp->end - sp->start;
        else if ((sp->flags & SMM_MF_CXL) && !(sp->flags & SMM_MF_WINDOW))
            r->cxl_bytes += sp->end - sp->start;
    }
    struct cli_table_opts tl = *t; /* the layout of the machine's arch, as analyze picks it */
    scheme_layout_for_arch(m->arch_name, t->layout_given, &tl.layout);
    struct analysis a;
    rc = analyze_map(m, &tl, &a);
    if (rc != 0)
        return rc;
    const struct smm_memmap *map = &m->lm->map;
    long nodes = count_nodes(map);
    if (nodes < 0)
        return -SMM_ENOMEM;
    r->nodes = (unsigned)nodes;
    r->arch = m->arch_name;
    r->format = smm_format_name(m->lm->format);
    r->ram_bytes = a.r.ram_bytes;
    r->span_bytes = a.r.span_end - a.r.span_start;
    r->ram_per_span = r->span_bytes ? (double)a.r.ram_bytes / (double)r->span_bytes : 0.0;
    for (size_t i = 0; i < map->nr; i++) {
        uint64_t len = map->ranges[i].end - map->ranges[i].start;
        if (map->ranges[i].type == SMM_MEM_SOFT_RESERVED)
            r->soft_reserved_bytes += len;
        else if (map->ranges[i].type == SMM_MEM_PMEM)
            r->pmem_bytes += len;
    }
    uint64_t xen_cheapest = UINT64_MAX;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_analysis_scheme *x = &a.r.scheme[s];
        r->compresses[s] = x->compressible;
        r->max_pdx[s] = x->max_pdx;
        r->density[s] = density(&a, s);
        r->overhead[s] = x->over.total;
        r->fits[s] = x->fit.fits;
        if (smm_analyze_is_xen_scheme(s)) {
            if (r->density[s] > r->xen_density)
                r->xen_density = r->density[s];
            if (x->over.total < xen_cheapest)
                xen_cheapest = x->over.total;
        }
    }
    r->best = a.r.best; /* fit, then hot-add headroom, then conversion (SMM_ANALYZE_RULE) */
    r->best_fits = a.r.scheme[a.r.best].fit.fits;
    r->best_percent = percent_of_ram(&a, a.r.scheme[a.r.best].over.total);
    r->dense_gain = r->xen_density > 0 ? r->density[SMM_PDX_DENSE] / r->xen_density : 0.0;
    uint64_t dense_total = a.r.scheme[SMM_PDX_DENSE].over.total;
    r->dense_table_gain = dense_total ? (double)xen_cheapest / (double)dense_total : 0.0;
    return 0;
}

/* Paths ------------------------------------------------------------------ */

/* Add file unless already there; NULL only when out of memory. */
static struct survey_row *survey_add(struct survey *sv, const char *file)
{
    char *real = realpath(file, NULL);
    if (!real)
        real = strdup(file); /* unreadable: reported when loaded */
    if (!real)
        return NULL;
    for (size_t i = 0; i < sv->nr; i++) {
        if (!strcmp(sv->rows[i].real, real)) {
            free(real);
            return &sv->rows[i];
        }
    }
    if (sv->nr == sv->cap) {
        size_t cap = sv->cap ? 2 * sv->cap : 64;
        struct survey_row *rows = realloc(sv->rows, cap * sizeof(*rows));
        if (!rows) {
            free(real);
            return NULL;
        }
        sv->rows = rows;
        sv->cap = cap;
    }
    struct survey_row *r = &sv->rows[sv->nr];
    memset(r, 0, sizeof(*r));
    r->real = real;
    r->file = strdup(file);
    if (!r->file) {
        free(real);
        return NULL;
    }
    sv->nr++;
    return r;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under dir, in name order; 0, or -1 after a message. */
static int survey_walk(struct survey *sv, const char *dir, int depth)
{
    if (depth > SURVEY_MAX_DEPTH) {
        fprintf(stderr, "sparsemm survey: %s: directories nested deeper than %d\n", dir,
                SURVEY_MAX_DEPTH);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "sparsemm survey: %s: cannot read the directory\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*nn));
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = -1;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc != 0)
        fprintf(stderr, "sparsemm survey: out of memory\n");
    if (rc == 0)
        qsort(names, n, sizeof(*names), cmp_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = survey_walk(sv, names[i], depth + 1);
        else if (!survey_add(sv, names[i])) {
            fprintf(stderr, "sparsemm survey: out of memory\n");
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Progress --------------------------------------------------------------- */

#define PROGRESS_WIDTH 30

static void progress(bool on, size_t done, size_t total)
{
    if (!on)
        return;
    unsigned fill = total ? (unsigned)(done * PROGRESS_WIDTH / total) : PROGRESS_WIDTH;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu", (int)fill, "##############################",
            (int)(PROGRESS_WIDTH - fill), "", done, total);
    fflush(stderr);
}

static void progress_clear(bool on)
{
    if (on)
        fprintf(stderr, "\r\033[K");
}

/* Summary ---------------------------------------------------------------- */

struct survey_summary {
    size_t parsed, failed, sparse, compresses[SMM_PDX_SCHEME_COUNT], xen_compresses;
    size_t verdict_compresses, hotplug, cxl;
    size_t best[SMM_PDX_SCHEME_COUNT];
    double median_ram_per_span, median_best_density, median_best_percent, median_dense_gain;
    size_t hardest[SURVEY_HARDEST], nr_hardest; /* rows, lowest Xen density first */
};

static bool row_sparse(const struct survey_row *r)
{
    return r->ram_per_span < SURVEY_SPARSE_BELOW;
}

static double median(const struct survey *sv, double *buf, size_t off)
{
    size_t n = 0;
    for (size_t i = 0; i < sv->nr; i++)
        if (sv->rows[i].ok)
            buf[n++] = *(const double *)((const char *)&sv->rows[i] + off);
    if (n == 0)
        return 0.0;
    qsort(buf, n, sizeof(*buf), cmp_double);
    return n % 2 ? buf[n / 2] : (buf[n / 2 - 1] + buf[n / 2]) / 2;
}

static int survey_summarize(const struct survey *sv, struct survey_summary *s)
{
    memset(s, 0, sizeof(*s));
    double *buf = malloc((sv->nr ? sv->nr : 1) * sizeof(*buf));
    if (!buf)
        return -SMM_ENOMEM;
    for (size_t i = 0; i < sv->nr; i++) {
        const struct survey_row *r = &sv->rows[i];
        if (!r->ok) {
            s->failed++;
            continue;
        }
        s->parsed++;
        s->sparse += row_sparse(r);
        bool xen = false;
        for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++) {
            s->compresses[k] += r->compresses[k];
            if (smm_analyze_is_xen_scheme(k))
                xen |= r->compresses[k];
        }
        s->xen_compresses += xen;
        s->verdict_compresses += r->verdict_compresses;
        s->hotplug += r->hotplug_bytes != 0;
        s->cxl += r->cxl_bytes != 0;
        s->best[r->best]++;
        /* insertion into the hardest few: lowest Xen density, then name */
        size_t at = s->nr_hardest;
        while (at > 0 && sv->rows[s->hardest[at - 1]].xen_density > r->xen_density)
            at--;
        if (at < SURVEY_HARDEST) {
            size_t last = s->nr_hardest < SURVEY_HARDEST ? s->nr_hardest : SURVEY_HARDEST - 1;
            memmove(&s->hardest[at + 1], &s->hardest[at], (last - at) * sizeof(s->hardest[0]));
            s->hardest[at] = i;
            if (s->nr_hardest < SURVEY_HARDEST)
                s->nr_hardest++;
        }
    }
    s->median_ram_per_span = median(sv, buf, offsetof(struct survey_row, ram_per_span));
    s->median_best_density = median(sv, buf, offsetof(struct survey_row, xen_density));
    s->median_best_percent = median(sv, buf, offsetof(struct survey_row, best_percent));
    s->median_dense_gain = median(sv, buf, offsetof(struct survey_row, dense_gain));
    free(buf);
    return 0;
}

/* Text ------------------------------------------------------------------- */

/* Xen's verdict: the scheme it compresses with, or "-". */
static const char *xen_verdict(const struct survey_row *r)
{
    return r->verdict_compresses ? r->verdict_scheme : "-";
}

/* Memory beside plain RAM: hot-plug windows, CXL, soft-reserved, persistent. */
static const char *extra_memory(const struct survey_row *r, char *buf, size_t len)
{
    const char *part[] = {r->hotplug_bytes ? "hp" : NULL, r->cxl_bytes ? "cxl" : NULL,
                          r->soft_reserved_bytes ? "sr" : NULL, r->pmem_bytes ? "pmem" : NULL};
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(part) / sizeof(part[0]) && at + 1 < len; i++)
        if (part[i])
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "+" : "", part[i]);
    return at ? buf : "-";
}

static void print_text(const struct survey *sv, const struct survey_summary *s)
{
    int w = 7;
    for (size_t i = 0; i < sv->nr; i++) {
        int len = (int)strlen(sv->rows[i].file);
        if (len > w)
            w = len;
    }
    char ram[32], span[32];
    printf("%-*s %-5s %10s %10s %8s %5s %-7s %-6s %-6s %7s %7s %6s\n", w, "machine", "arch",
           "RAM", "span", "RAM/span", "nodes", "extra", "xen", "best", "density", "tables",
           "dense");
    for (size_t i = 0; i < sv->nr; i++) {
        const struct survey_row *r = &sv->rows[i];
        if (!r->ok) {
            printf("%-*s  (not read: see the summary)\n", w, r->file);
            continue;
        }
        char nodes[16], extra[32];
        snprintf(nodes, sizeof(nodes), r->nodes ? "%u" : "-", r->nodes);
        printf("%-*s %-5s %10s %10s %8.3f %5s %-7s %-6s %-6s %7.3f %6.2f%% %5.2fx\n", w,
               r->file, r->arch, cli_human_bytes(r->ram_bytes, ram, sizeof(ram)),
               cli_human_bytes(r->span_bytes, span, sizeof(span)), r->ram_per_span, nodes,
               extra_memory(r, extra, sizeof(extra)), xen_verdict(r),
               smm_pdx_scheme_name(r->best),
               r->density[r->best], r->best_percent, r->dense_gain);
    }
    printf("\n%zu machines read, %zu not read\n", s->parsed, s->failed);
    for (size_t i = 0; i < sv->nr; i++)
        if (!sv->rows[i].ok)
            printf("  not read: %s\n", sv->rows[i].reason);
    if (s->parsed == 0)
        return;
    printf("sparse (RAM < %.0f%% of span): %zu of %zu\n", 100 * SURVEY_SPARSE_BELOW, s->sparse,
           s->parsed);
    printf("Xen's verdict: compresses %zu of %zu\n", s->verdict_compresses, s->parsed);
    printf("Xen's schemes could compress: mask %zu, offset %zu, either %zu of %zu\n",
           s->compresses[SMM_PDX_MASK], s->compresses[SMM_PDX_OFFSET], s->xen_compresses,
           s->parsed);
    printf("with hot-plug windows %zu, with CXL memory %zu\n", s->hotplug, s->cxl);
    printf("best scheme:");
    for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++)
        printf(" %s %zu%s", smm_pdx_scheme_name(k), s->best[k],
               k + 1 < SMM_PDX_SCHEME_COUNT ? "," : "\n");
    printf("medians: RAM/span %.3f, Xen's best density %.3f, best tables %.2f%% of RAM, "
           "dense gain %.2fx\n",
           s->median_ram_per_span, s->median_best_density, s->median_best_percent,
           s->median_dense_gain);
    printf("hardest for Xen (lowest density of none/mask/offset):\n");
    for (size_t i = 0; i < s->nr_hardest; i++) {
        const struct survey_row *r = &sv->rows[s->hardest[i]];
        printf("  %-*s %.4f (dense %.4f)\n", w, r->file, r->xen_density,
               r->density[SMM_PDX_DENSE]);
    }
}

/* JSON ------------------------------------------------------------------- */

static void json_row(struct smm_json *j, const struct survey_row *r)
{
    smm_json_object_begin(j);
    smm_json_kv_string(j, "file", r->file);
    smm_json_kv_string(j, "arch", r->arch);
    smm_json_kv_string(j, "format", r->format);
    smm_json_kv_u64(j, "ram_bytes", r->ram_bytes);
    smm_json_kv_u64(j, "span_bytes", r->span_bytes);
    smm_json_kv_double(j, "ram_per_span", r->ram_per_span);
    smm_json_kv_bool(j, "sparse", row_sparse(r));
    smm_json_kv_u64(j, "nodes", r->nodes);
    smm_json_kv_u64(j, "soft_reserved_bytes", r->soft_reserved_bytes);
    smm_json_kv_u64(j, "pmem_bytes", r->pmem_bytes);
    smm_json_kv_u64(j, "hotplug_bytes", r->hotplug_bytes);
    smm_json_kv_u64(j, "cxl_bytes", r->cxl_bytes);
    smm_json_key(j, "xen");
    smm_json_object_begin(j);
    smm_json_kv_string(j, "verdict_scheme", r->verdict_scheme);
    smm_json_kv_bool(j, "verdict_compresses", r->verdict_compresses);
    smm_json_kv_string(j, "verdict_reason", r->verdict_reason);
    smm_json_kv_bool(j, "mask_compresses", r->compresses[SMM_PDX_MASK]);
    smm_json_kv_bool(j, "offset_compresses", r->compresses[SMM_PDX_OFFSET]);
    smm_json_kv_bool(j, "compresses", r->compresses[SMM_PDX_MASK] || r->compresses[SMM_PDX_OFFSET]);
    smm_json_kv_double(j, "best_density", r->xen_density);
    smm_json_object_end(j);
    smm_json_key(j, "schemes");
    smm_json_object_begin(j);
    for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++) {
        smm_json_key(j, smm_pdx_scheme_name(k));
        smm_json_object_begin(j);
        smm_json_kv_bool(j, "compresses", r->compresses[k]);
        smm_json_kv_u64(j, "max_pdx", r->max_pdx[k]);
        smm_json_kv_double(j, "density", r->density[k]);
        smm_json_kv_u64(j, "overhead_bytes", r->overhead[k]);
        smm_json_kv_bool(j, "fits", r->fits[k]);
        smm_json_object_end(j);
    }
    smm_json_object_end(j);
    smm_json_key(j, "best");
    smm_json_object_begin(j);
    smm_json_kv_string(j, "scheme", smm_pdx_scheme_name(r->best));
    smm_json_kv_bool(j, "fits", r->best_fits);
    smm_json_kv_double(j, "density", r->density[r->best]);
    smm_json_kv_u64(j, "overhead_bytes", r->overhead[r->best]);
    smm_json_kv_double(j, "percent_of_ram", r->best_percent);
    smm_json_object_end(j);
    smm_json_kv_double(j, "dense_gain", r->dense_gain);
    smm_json_kv_double(j, "dense_table_gain", r->dense_table_gain);
    smm_json_object_end(j);
}

static void print_json(const struct survey *sv, const struct survey_summary *s)
{
    struct smm_json j;
    smm_json_document_begin(&j, stdout, SURVEY_SCHEMA);
    smm_json_key(&j, "machines");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < sv->nr; i++)
        if (sv->rows[i].ok)
            json_row(&j, &sv->rows[i]);
    smm_json_array_end(&j);
    smm_json_key(&j, "failures");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < sv->nr; i++) {
        if (sv->rows[i].ok)
            continue;
        smm_json_object_begin(&j);
        smm_json_kv_string(&j, "file", sv->rows[i].file);
        smm_json_kv_string(&j, "reason", sv->rows[i].reason);
        smm_json_object_end(&j);
    }
    smm_json_array_end(&j);
    smm_json_key(&j, "summary");
    smm_json_object_begin(&j);
    smm_json_kv_u64(&j, "files", sv->nr);
    smm_json_kv_u64(&j, "parsed", s->parsed);
    smm_json_kv_u64(&j, "failed", s->failed);
    smm_json_kv_double(&j, "sparse_below_ram_per_span", SURVEY_SPARSE_BELOW);
    smm_json_kv_u64(&j, "sparse", s->sparse);
    smm_json_kv_u64(&j, "xen_mask_compresses", s->compresses[SMM_PDX_MASK]);
    smm_json_kv_u64(&j, "xen_offset_compresses", s->compresses[SMM_PDX_OFFSET]);
    smm_json_kv_u64(&j, "xen_compresses", s->xen_compresses);
    smm_json_kv_u64(&j, "xen_verdict_compresses", s->verdict_compresses);
    smm_json_kv_u64(&j, "with_hotplug", s->hotplug);
    smm_json_kv_u64(&j, "with_cxl", s->cxl);
    smm_json_key(&j, "best");
    smm_json_object_begin(&j);
    for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++)
        smm_json_kv_u64(&j, smm_pdx_scheme_name(k), s->best[k]);
    smm_json_object_end(&j);
    smm_json_kv_double(&j, "median_ram_per_span", s->median_ram_per_span);
    smm_json_kv_double(&j, "median_xen_best_density", s->median_best_density);
    smm_json_kv_double(&j, "median_best_percent_of_ram", s->median_best_percent);
    smm_json_kv_double(&j, "median_dense_gain", s->median_dense_gain);
    smm_json_key(&j, "hardest");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < s->nr_hardest; i++)
        smm_json_string(&j, sv->rows[s->hardest[i]].file);
    smm_json_array_end(&j);
    smm_json_object_end(&j); /* summary */
    smm_json_object_end(&j); /* the document */
    smm_json_finish(&j);
}

/* The command ------------------------------------------------------------ */

static void survey_free(struct survey *sv)
{
    for (size_t i = 0; i < sv->nr; i++) {
        free(sv->rows[i].file);
        free(sv->rows[i].real);
    }
    free(sv->rows);
}

/* Load and compute every row; failures are recorded, reported, counted. */
static int survey_run(struct survey *sv, const struct cli_map_opts *base,
                      const struct cli_table_opts *t)
{
    bool bar = isatty(STDERR_FILENO);
    for (size_t i = 0; i < sv->nr; i++) {
        struct survey_row *r = &sv->rows[i];
        struct cli_map_opts o = *base;
        struct cli_map m;
        struct machine_report mr;
        struct smm_diag diag = {0};
        const char *path = r->file;
        o.path = r->file;
        progress(bar, i, sv->nr);
        int rc = machine_report_load_diag(&o, &path, 1, 0, &mr, &m, &diag);
        if (rc == 0) {
            rc = survey_row_compute(mr.mach, &m, t, r);
            if (rc != 0)
                smm_diag_set(&diag, rc, r->file, 0, "analysis failed: %s", smm_strerror(rc));
            cli_map_free(&m);
            machine_report_free(&mr);
        }
        if (rc == -SMM_ENOMEM || rc == CLI_EXIT_FAIL) {
            progress_clear(bar);
            fprintf(stderr, "%s\n", diag.msg);
            return CLI_EXIT_FAIL; /* out of memory: the survey cannot go on */
        }
        r->ok = rc == 0;
        if (!r->ok) {
            snprintf(r->reason, sizeof(r->reason), "%s", diag.msg);
            progress_clear(bar);
            fprintf(stderr, "%s\n", r->reason);
        }
    }
    progress(bar, sv->nr, sv->nr);
    progress_clear(bar);
    return 0;
}

int cmd_survey(int argc, char **argv)
{
    struct cli_map_opts o;
    struct cli_table_opts t;
    struct survey sv = {0};
    int rc = 0;
    cli_map_opts_init(&o);
    cli_table_opts_init(&t);
    for (int i = 1; i < argc && rc == 0; i++) {
        int r = cli_parse_map_opt(&o, argc, argv, &i);
        if (r == 0)
            r = cli_parse_table_opt(&t, argc, argv, &i);
        if (r < 0)
            rc = CLI_EXIT_USAGE;
        if (r != 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            survey_free(&sv);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sparsemm survey: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (survey_walk(&sv, argv[i], 0) != 0)
                rc = CLI_EXIT_USAGE;
        } else if (!survey_add(&sv, argv[i])) {
            fprintf(stderr, "sparsemm survey: out of memory\n");
            rc = CLI_EXIT_FAIL;
        }
    }
    if (rc == 0 && sv.nr == 0) {
        fprintf(stderr, "sparsemm survey: no map file given (or the directories are empty)\n");
        usage(stderr);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0)
        rc = survey_run(&sv, &o, &t);
    struct survey_summary s;
    if (rc == 0 && survey_summarize(&sv, &s) != 0) {
        fprintf(stderr, "sparsemm survey: out of memory\n");
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0) {
        if (o.json)
            print_json(&sv, &s);
        else
            print_text(&sv, &s);
        if (s.failed)
            rc = CLI_EXIT_USAGE;
    }
    survey_free(&sv);
    return rc;
}
