/* SPDX-License-Identifier: MIT */
/*
 * machine.c - one machine from all its sources (machine.h): every kind of
 * memory-map line of a log, or several files, each range kept with its
 * origin and flags; then the precedence rules that turn them into RAM with
 * NUMA nodes, hot-plug windows and CXL / soft-reserved / non-volatile /
 * persistent memory, the architecture the log names, and what Xen's own
 * lines say (version, command line, its PFN compression line).
 *
 * The format parsers are reused as they are: a log is parsed once per
 * dmesg-family format; the flags they do not keep (SRAT hotplug and
 * non-volatile, EFI SP and NV attributes) are read back from the line
 * each range came from.  Lines no parser knows are read here: Xen's Arm
 * "(XEN) RAM: S - E" banks, Xen's facts, /proc/iomem's nested CXL lines.
 */
#include <sparsemm/io/machine.h>

#include "io_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[SMM_SRC_COUNT] = {
    [SMM_SRC_E820] = "e820",       [SMM_SRC_XEN_E820] = "xen-e820", [SMM_SRC_EFI] = "efi",
    [SMM_SRC_SYSFS] = "sysfs",     [SMM_SRC_IOMEM] = "iomem",       [SMM_SRC_DT] = "dt",
    [SMM_SRC_XEN_RAM] = "xen-ram", [SMM_SRC_PLAIN] = "plain",       [SMM_SRC_NODES] = "nodes",
    [SMM_SRC_SRAT] = "srat",       [SMM_SRC_IOMEM_SUB] = "iomem-nested",
};

/* Firmware RAM first, then the kernel's node ranges, SRAT last. */
static const uint32_t ram_priority[] = {
    SMM_SRC_E820,    SMM_SRC_XEN_E820, SMM_SRC_EFI,   SMM_SRC_SYSFS, SMM_SRC_IOMEM,
    SMM_SRC_DT,      SMM_SRC_XEN_RAM,  SMM_SRC_PLAIN, SMM_SRC_NODES, SMM_SRC_SRAT,
};

/* The format name a RAM source is reported under (JSON "format"). */
static const enum smm_format kind_format[SMM_SRC_COUNT] = {
    [SMM_SRC_E820] = SMM_FMT_E820,   [SMM_SRC_XEN_E820] = SMM_FMT_XL,
    [SMM_SRC_EFI] = SMM_FMT_EFI,     [SMM_SRC_SYSFS] = SMM_FMT_SYSFS,
    [SMM_SRC_IOMEM] = SMM_FMT_IOMEM, [SMM_SRC_DT] = SMM_FMT_DTS,
    [SMM_SRC_XEN_RAM] = SMM_FMT_XL,  [SMM_SRC_PLAIN] = SMM_FMT_PLAIN,
    [SMM_SRC_NODES] = SMM_FMT_NODES, [SMM_SRC_SRAT] = SMM_FMT_SRAT,
    [SMM_SRC_IOMEM_SUB] = SMM_FMT_IOMEM,
};

const char *smm_source_kind_name(uint32_t kind)
{
    return kind < SMM_SRC_COUNT ? kind_names[kind] : "unknown";
}

const char *smm_arch_name(enum smm_arch a)
{
    static const char *const names[] = {"unknown", "x86", "arm", "riscv"};
    return (unsigned)a < 4 ? names[a] : "unknown";
}

static void machine_init(struct smm_machine *m)
{
    memset(m, 0, sizeof(*m));
    m->xen.debug = -1;
}

int smm_machine_create(struct smm_machine **out)
{
    *out = malloc(sizeof(**out));
    if (!*out)
        return -SMM_ENOMEM;
    machine_init(*out);
    return 0;
}

static void list_free(struct smm_mrange_list *l)
{
    free(l->v);
    *l = (struct smm_mrange_list){0};
}

/* Everything m holds given back: m as smm_machine_create() made it. */
static void machine_reset(struct smm_machine *m)
{
    list_free(&m->all);
    list_free(&m->ram);
    list_free(&m->special);
    list_free(&m->nodemap);
    free(m->map.ranges);
    smm_rangelist_release_(&m->raw);
    machine_init(m);
}

void smm_machine_destroy(struct smm_machine *m)
{
    if (!m)
        return;
    machine_reset(m);
    free(m);
}

static int list_push(struct smm_mrange_list *l, const struct smm_mrange *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct smm_mrange *v = cap < SIZE_MAX / sizeof(*v) ? realloc(l->v, cap * sizeof(*v)) : NULL;
        if (!v)
            return -SMM_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
    return 0;
}

static void warn(struct smm_machine *m, const char *source, uint32_t line, const char *what,
                 const char *text, size_t text_len)
{
    if (m->nr_warn == SMM_MACHINE_WARN_MAX)
        return;
    struct smm_diag d = {0}; /* formats the warning: the line is skipped as invalid */
    char shown[61];
    size_t n = text_len > 60 ? 60 : text_len;
    for (size_t i = 0; i < n; i++) /* the line may hold what made it fail: keep it printable */
        shown[i] = (unsigned char)text[i] >= 0x20 && (unsigned char)text[i] < 0x7f ? text[i] : '?';
    shown[n] = '\0';
    smm_diag_set(&d, -SMM_EINVAL, source, line, "%s: '%s%s'", what, shown, text_len > 60 ? "..." : "");
    memcpy(m->warn[m->nr_warn++], d.msg, sizeof(d.msg));
}

/* Line scanning -------------------------------------------------------------- */

/* Whether lit occurs in the span. */
static bool has(struct smm_cur_ c, const char *lit)
{
    return smm_cur_find_(&c, lit);
}

/* Architecture votes: one per line per architecture it names. */
enum { VOTE_X86 = SMM_ARCH_X86, VOTE_ARM = SMM_ARCH_ARM, VOTE_RISCV = SMM_ARCH_RISCV };

static void vote(struct smm_machine *m, int arch, const char *why)
{
    if (m->votes[arch]++ == 0)
        m->vote_why[arch] = why;
}

static void vote_line(struct smm_machine *m, struct smm_cur_ c, bool xen)
{
    static const struct {
        int arch;
        const char *lit;
        const char *why;
    } hints[] = {
        {VOTE_ARM, "Booting Linux on physical CPU", "log: 'Booting Linux on physical CPU'"},
        {VOTE_ARM, "Machine model:", "log: 'Machine model:'"},
        {VOTE_ARM, "psci:", "log: 'psci:'"},
        {VOTE_ARM, "Booting using Device Tree", "Xen log: 'Booting using Device Tree'"},
        {VOTE_ARM, "aarch64", "log: 'aarch64'"},
        {VOTE_ARM, "AArch64", "log: 'AArch64'"},
        {VOTE_ARM, "GICv", "log: 'GICv'"},
        {VOTE_RISCV, "riscv", "log: 'riscv'"},
        {VOTE_RISCV, "RISC-V", "log: 'RISC-V'"},
        {VOTE_RISCV, "SBI specification", "log: 'SBI specification'"},
        {VOTE_X86, "BIOS-e820:", "log: 'BIOS-e820:'"},
        {VOTE_X86, "Xen-e820 RAM map", "Xen log: 'Xen-e820 RAM map'"},
        {VOTE_X86, "x86/", "log: 'x86/'"},
        {VOTE_X86, "x86_64", "log: 'x86_64'"},
    };
    bool seen[4] = {false};
    if (xen && smm_cur_eat_(&c, "RAM:")) {
        vote(m, VOTE_ARM, "Xen log: '(XEN) RAM:' banks");
        return;
    }
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
        if (!seen[hints[i].arch] && has(c, hints[i].lit)) {
            seen[hints[i].arch] = true;
            vote(m, hints[i].arch, hints[i].why);
        }
}

static unsigned parse_small(struct smm_cur_ *c)
{
    uint64_t v = 0;
    if (smm_cur_dec_(c, &v) != SMM_NUM_OK || v > 1000000)
        return 0;
    return (unsigned)v;
}

/* Xen's own lines: version, command line, PFN compression. */
static void xen_fact(struct smm_machine *m, struct smm_cur_ c, uint32_t file, uint32_t line)
{
    struct smm_xen_log *x = &m->xen;
    struct smm_cur_ s = c;
    if (smm_cur_eat_(&s, "Xen version ")) {
        struct smm_cur_ w = smm_cur_word_(&s);
        size_t n = (size_t)(w.end - w.p);
        if (n >= sizeof(x->version))
            n = sizeof(x->version) - 1;
        memcpy(x->version, w.p, n);
        x->version[n] = '\0';
        x->major = parse_small(&w);
        x->version_known = smm_cur_eat_char_(&w, '.');
        x->minor = parse_small(&w);
        if (has(s, "debug=y"))
            x->debug = 1;
        else if (has(s, "debug=n"))
            x->debug = 0;
        return;
    }
    if (smm_cur_eat_(&s, "Command line:")) {
        smm_cur_skip_ws_(&s);
        size_t n = (size_t)(s.end - s.p);
        if (n >= sizeof(x->cmdline))
            n = sizeof(x->cmdline) - 1;
        memcpy(x->cmdline, s.p, n);
        x->cmdline[n] = '\0';
        return;
    }
    if (smm_cur_eat_(&s, "Xen-e820 RAM map") || smm_cur_eat_(&s, "RAM:")) {
        x->map_printed = true;
        return;
    }
    if (smm_cur_eat_(&s, "PFN compression on bits ")) {
        x->pfn_lo = parse_small(&s);
        if (smm_cur_eat_(&s, "...")) {
            x->pfn_hi = parse_small(&s);
            x->pfn_line = true;
            x->file = file;
            x->line = line;
        }
        return;
    }
    if (smm_cur_eat_(&s, "PFN compression using lookup table shift ")) {
        x->offset_shift = parse_small(&s);
        uint64_t v = 0;
        if (smm_cur_find_(&s, "region size ") && smm_cur_hex_(&s, SMM_HEX_0X_OPT, &v) == SMM_NUM_OK) {
            x->offset_region = v;
            x->offset_line = true;
            x->file = file;
            x->line = line;
        }
        return;
    }
    if (smm_cur_eat_(&s, "PFN compression disabled")) {
        x->disabled_line = true;
        x->file = file;
        x->line = line;
    }
}

/* "(XEN) RAM: S - E" (Xen on Arm, end inclusive), after the prefix. */
static int xen_ram_line(const struct smm_text_ *t, struct smm_cur_ *c, struct smm_rangelist *out)
{
    uint64_t s, e;
    int rc = smm_text_hex_(t, c, SMM_HEX_0X_OPT, "bank start", &s);
    if (!rc)
        rc = smm_text_expect_(t, c, "-", "after the bank start");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X_OPT, "bank end", &e);
    if (!rc)
        rc = smm_text_expect_end_(t, c);
    if (!rc)
        rc = smm_text_range_(t, out, s, e, true, SMM_MEM_RAM, SMM_NODE_NONE);
    return rc;
}

/*
 * One pass over a log for what no format parser reads: Xen RAM banks into
 * banks, Xen facts and arch votes into m.
 */
static int scan_log(struct smm_machine *m, const char *buf, size_t len, const char *source,
                    uint32_t file, struct smm_rangelist *banks, struct smm_diag *diag)
{
    struct smm_text_ t;
    struct smm_cur_ line;
    int rc;
    smm_text_init_(&t, buf, len, source, diag);
    while ((rc = smm_text_next_(&t, &line)) != 0) {
        if (rc < 0)
            return rc;
        bool xen;
        smm_dmesg_strip_(&line, &xen);
        vote_line(m, line, xen);
        if (!xen)
            continue;
        m->xen.seen = true;
        xen_fact(m, line, file, t.line);
        struct smm_cur_ s = line;
        if (smm_cur_eat_(&s, "RAM:")) {
            rc = xen_ram_line(&t, &s, banks);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The flags a line carries that the parsers do not keep. */
static uint32_t line_flags(struct smm_cur_ c, uint32_t kind, uint32_t type)
{
    uint32_t f = 0;
    if (type == SMM_MEM_SOFT_RESERVED)
        f |= SMM_MF_SOFT_RESERVED;
    if (type == SMM_MEM_PMEM)
        f |= SMM_MF_PERSISTENT;
    if (kind == SMM_SRC_SRAT) {
        if (has(c, "hotplug"))
            f |= SMM_MF_HOTPLUG;
        if (has(c, "non-volatile"))
            f |= SMM_MF_NONVOLATILE;
    }
    if (kind == SMM_SRC_EFI && smm_cur_find_(&c, "efi: mem") && smm_cur_find_(&c, "[")) {
        /* "[Conventional|   |  |SP|  |...|WB|WT|WC|UC]": the attribute words */
        while (!smm_cur_eof_(&c) && *c.p != ']') {
            struct smm_cur_ w = {.p = c.p, .end = c.p};
            while (w.end < c.end && *w.end != '|' && *w.end != ']')
                w.end++;
            c.p = w.end < c.end && *w.end == '|' ? w.end + 1 : w.end;
            smm_cur_skip_ws_(&w);
            smm_cur_rtrim_(&w);
            if (smm_cur_equals_(&w, "SP"))
                f |= SMM_MF_SOFT_RESERVED;
            if (smm_cur_equals_(&w, "NV"))
                f |= SMM_MF_NONVOLATILE;
        }
    }
    return f;
}

/* Start offset of every line (line k at off[k - 1]); *n lines. */
static size_t *line_offsets(const char *buf, size_t len, size_t *n)
{
    size_t lines = 1;
    for (const char *p = buf; p && (p = memchr(p, '\n', (size_t)(buf + len - p))) != NULL; p++)
        lines++;
    size_t *off = malloc(lines * sizeof(*off));
    if (!off)
        return NULL;
    off[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < len && k < lines; i++)
        if (buf[i] == '\n')
            off[k++] = i + 1;
    *n = lines;
    return off;
}

/* Keep the raw ranges of one kind, with flags read back from their lines. */
static int keep_ranges(struct smm_machine *m, const struct smm_rangelist *l, uint32_t kind,
                       uint32_t file, const char *buf, size_t len, const size_t *off, size_t nl)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct smm_range *r = &l->v[i];
        struct smm_mrange mr = {.start = r->start, .end = r->end, .type = r->type,
                                .node = r->node, .kind = kind, .file = file, .line = r->line};
        if (off && r->line >= 1 && r->line <= nl) {
            size_t s = off[r->line - 1];
            const char *nlp = memchr(buf + s, '\n', len - s);
            struct smm_cur_ c = {buf + s, nlp ? nlp : buf + len};
            mr.flags = line_flags(c, kind, r->type);
        } else {
            mr.flags = line_flags((struct smm_cur_){0}, kind, r->type);
        }
        if (kind == SMM_SRC_EFI && (mr.flags & SMM_MF_SOFT_RESERVED) && mr.type == SMM_MEM_RAM)
            mr.type = SMM_MEM_SOFT_RESERVED; /* EFI SP memory: Linux keeps it out of RAM */
        if (list_push(&m->all, &mr))
            return -SMM_ENOMEM;
    }
    return 0;
}

/* iomem nested lines: CXL windows, Soft Reserved, System RAM (kmem). */
static int scan_iomem_nested(struct smm_machine *m, const char *buf, size_t len,
                             const char *source, uint32_t file)
{
    struct smm_text_ t;
    struct smm_cur_ line;
    int rc;
    smm_text_init_(&t, buf, len, source, NULL);
    while ((rc = smm_text_next_(&t, &line)) != 0) {
        if (rc < 0)
            continue;
        struct smm_cur_ c = line;
        smm_cur_skip_ws_(&c);
        bool nested = c.p != line.p;
        uint64_t s, e;
        if (smm_cur_hex_(&c, SMM_HEX_BARE, &s) != SMM_NUM_OK || !smm_cur_eat_char_(&c, '-') ||
            smm_cur_hex_(&c, SMM_HEX_BARE, &e) != SMM_NUM_OK || e == UINT64_MAX || e < s)
            continue;
        smm_cur_skip_ws_(&c);
        if (!smm_cur_eat_char_(&c, ':'))
            continue;
        smm_cur_skip_ws_(&c);
        smm_cur_rtrim_(&c);
        uint32_t flags = 0, type = SMM_MEM_OTHER;
        struct smm_cur_ w = c;
        if (smm_cur_eat_(&w, "CXL Window"))
            flags = SMM_MF_CXL | SMM_MF_WINDOW;
        else if (nested && smm_cur_equals_(&c, "System RAM (kmem)"))
            flags = SMM_MF_KMEM | SMM_MF_CXL, type = SMM_MEM_SOFT_RESERVED;
        else if (nested && smm_cur_equals_(&c, "Soft Reserved"))
            flags = SMM_MF_SOFT_RESERVED, type = SMM_MEM_SOFT_RESERVED;
        else if (nested && (smm_cur_equals_(&c, "Persistent Memory") ||
                            smm_cur_equals_(&c, "Persistent Memory (legacy)")))
            flags = SMM_MF_PERSISTENT, type = SMM_MEM_PMEM;
        if (!flags || e + 1 > SMM_MADDR_LIMIT)
            continue;
        struct smm_mrange mr = {.start = s, .end = e + 1, .type = type, .node = SMM_NODE_NONE,
                                .flags = flags, .kind = SMM_SRC_IOMEM_SUB, .file = file,
                                .line = t.line};
        if (list_push(&m->all, &mr))
            return -SMM_ENOMEM;
    }
    return 0;
}

/* Adding sources --------------------------------------------------------------- */

static bool is_dmesg_format(enum smm_format f)
{
    return f == SMM_FMT_E820 || f == SMM_FMT_EFI || f == SMM_FMT_XL || f == SMM_FMT_SRAT ||
           f == SMM_FMT_NODES;
}

static uint32_t format_kind(enum smm_format f)
{
    switch (f) {
    case SMM_FMT_E820: return SMM_SRC_E820;
    case SMM_FMT_EFI: return SMM_SRC_EFI;
    case SMM_FMT_XL: return SMM_SRC_XEN_E820;
    case SMM_FMT_SRAT: return SMM_SRC_SRAT;
    case SMM_FMT_NODES: return SMM_SRC_NODES;
    case SMM_FMT_IOMEM: return SMM_SRC_IOMEM;
    case SMM_FMT_SYSFS: return SMM_SRC_SYSFS;
    case SMM_FMT_DTS:
    case SMM_FMT_DTB: return SMM_SRC_DT;
    default: return SMM_SRC_PLAIN;
    }
}

/* Parse one format; "no ranges of this kind" is not an error in a log. */
static int parse_kind(struct smm_machine *m, const char *buf, size_t len, const char *source,
                      enum smm_format fmt, uint32_t file, const size_t *off, size_t nl,
                      bool optional, struct smm_diag *diag)
{
    struct smm_rangelist l = {0};
    struct smm_diag why = {0}; /* told only when it is the failure: first reason wins */
    int rc = smm_parse_buffer(buf, len, source, fmt, NULL, &l, &why);
    if (rc == -SMM_EEMPTY && optional)
        rc = 0;
    else if (rc && diag && !diag->code)
        *diag = why;
    if (!rc)
        rc = keep_ranges(m, &l, format_kind(fmt), file, buf, len, off, nl);
    smm_rangelist_release_(&l);
    return rc;
}

static const enum smm_format log_formats[] = {
    SMM_FMT_E820, SMM_FMT_XL, SMM_FMT_EFI, SMM_FMT_SRAT, SMM_FMT_NODES,
};

/*
 * A last line without a newline that no parser accepts on its own is a
 * log cut off in mid-line: returns the length without it (warning kept),
 * else len.
 */
static size_t drop_truncated(struct smm_machine *m, const char *buf, size_t len,
                             const char *source, enum smm_format fmt)
{
    if (len == 0 || buf[len - 1] == '\n' || fmt == SMM_FMT_DTS || fmt == SMM_FMT_DTB)
        return len;
    size_t start = len;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    const char *p = buf + start;
    size_t n = len - start;
    bool bad = false;
    struct smm_diag d = {0}; /* reasons are only tried here, never told */
    struct smm_rangelist l = {0};
    if (is_dmesg_format(fmt) || fmt == SMM_FMT_AUTO) {
        for (size_t i = 0; i < sizeof(log_formats) / sizeof(log_formats[0]) && !bad; i++) {
            if (fmt != SMM_FMT_AUTO && fmt != log_formats[i])
                continue;
            int rc = smm_parse_buffer(p, n, source, log_formats[i], NULL, &l, &d);
            bad = rc != 0 && rc != -SMM_EEMPTY;
        }
        if (!bad) {
            struct smm_machine scratch; /* reads only the log's facts: nothing to free */
            machine_init(&scratch);
            struct smm_rangelist banks = {0};
            bad = scan_log(&scratch, p, n, source, 0, &banks, &d) != 0;
            smm_rangelist_release_(&banks);
        }
    } else {
        int rc = smm_parse_buffer(p, n, source, fmt, NULL, &l, &d);
        bad = rc != 0 && rc != -SMM_EEMPTY;
    }
    smm_rangelist_release_(&l);
    if (!bad)
        return len;
    uint32_t line = 1;
    for (size_t i = 0; i < start; i++)
        line += buf[i] == '\n';
    warn(m, source, line, "last line cut short, dropped", p, n);
    return start;
}

static int add_log(struct smm_machine *m, const char *buf, size_t len, const char *source,
                   enum smm_format fmt, uint32_t file, struct smm_diag *diag)
{
    size_t nl = 0;
    size_t *off = line_offsets(buf, len, &nl);
    struct smm_rangelist banks = {0};
    size_t n0 = m->all.n;
    int rc = off ? 0 : -SMM_ENOMEM;
    for (size_t i = 0; i < sizeof(log_formats) / sizeof(log_formats[0]) && !rc; i++)
        if (fmt == SMM_FMT_AUTO || fmt == log_formats[i])
            rc = parse_kind(m, buf, len, source, log_formats[i], file, off, nl, true, diag);
    if (!rc)
        rc = scan_log(m, buf, len, source, file, &banks, diag);
    if (!rc && fmt == SMM_FMT_AUTO)
        rc = keep_ranges(m, &banks, SMM_SRC_XEN_RAM, file, buf, len, NULL, 0);
    if (!rc && m->all.n == n0) {
        smm_diag_set(diag, -SMM_EEMPTY, source, 0, "no memory ranges found in the log");
        rc = -SMM_EEMPTY;
    }
    if (rc == -SMM_ENOMEM)
        smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
    smm_rangelist_release_(&banks);
    free(off);
    return rc;
}

static int add_text(struct smm_machine *m, const char *buf, size_t len, const char *source,
                    enum smm_format fmt, struct smm_diag *diag)
{
    if (m->nr_files == SMM_MACHINE_FILES_MAX) {
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "more than %d files for one machine (a limit of this tool)",
                     SMM_MACHINE_FILES_MAX);
        return -SMM_EINVAL;
    }
    uint32_t file = (uint32_t)m->nr_files;
    snprintf(m->files[file], sizeof(m->files[file]), "%s", source);
    enum smm_format det = fmt == SMM_FMT_AUTO ? smm_detect_format(buf, len) : fmt;
    bool log = det == SMM_FMT_COUNT || is_dmesg_format(det);
    len = drop_truncated(m, buf, len, source, log ? fmt : det);
    size_t n0 = m->all.n, w0 = m->nr_warn;
    int rc;
    if (log) {
        rc = add_log(m, buf, len, source, fmt, file, diag);
    } else {
        rc = parse_kind(m, buf, len, source, det, file, NULL, 0, false, diag);
        if (!rc && det == SMM_FMT_IOMEM)
            rc = scan_iomem_nested(m, buf, len, source, file);
        if (!rc && det == SMM_FMT_DTS && memmem(buf, len, "riscv", 5))
            vote(m, VOTE_RISCV, "device tree: 'riscv'");
        else if (!rc && (det == SMM_FMT_DTS || det == SMM_FMT_DTB))
            vote(m, VOTE_ARM, "device tree");
        if (rc == -SMM_ENOMEM)
            smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
    }
    if (rc) {
        m->all.n = n0;
        m->nr_warn = w0;
        return rc;
    }
    m->file_format[file] = log ? SMM_FMT_AUTO : det;
    m->nr_files++;
    return 0;
}

int smm_machine_add_buffer(struct smm_machine *m, const char *buf, size_t len,
                           const char *source, enum smm_format fmt, struct smm_diag *diag)
{
    if (!source)
        source = "<input>";
    if (!buf && len) {
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "no buffer");
        return -SMM_EINVAL;
    }
    if ((unsigned)fmt >= SMM_FMT_COUNT) {
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "unknown input format %d", (int)fmt);
        return -SMM_EINVAL;
    }
    size_t clean_len = 0;
    char *clean;
    if (smm_strip_ansi_(buf, len, fmt, &clean, &clean_len)) {
        smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
        return -SMM_ENOMEM;
    }
    int rc = clean ? add_text(m, clean, clean_len, source, fmt, diag)
                   : add_text(m, buf, len, source, fmt, diag);
    free(clean);
    return rc;
}

int smm_machine_add_map(struct smm_machine *m, const struct smm_loaded_map *lm,
                        struct smm_diag *diag)
{
    if (m->nr_files == SMM_MACHINE_FILES_MAX) {
        smm_diag_set(diag, -SMM_EINVAL, lm->source, 0, "too many files for one machine");
        return -SMM_EINVAL;
    }
    uint32_t file = (uint32_t)m->nr_files;
    snprintf(m->files[file], sizeof(m->files[file]), "%s", lm->source);
    size_t n0 = m->all.n;
    if (keep_ranges(m, &lm->raw, format_kind(lm->format), file, NULL, 0, NULL, 0)) {
        m->all.n = n0;
        smm_diag_set(diag, -SMM_ENOMEM, lm->source, 0, "out of memory");
        return -SMM_ENOMEM;
    }
    m->file_format[file] = lm->format;
    m->nr_files++;
    return 0;
}

int smm_machine_add_file(struct smm_machine *m, const char *path, enum smm_format fmt,
                         struct smm_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    const char *source;
    int rc = smm_read_input_(path, &fmt, &buf, &len, &source, diag);
    if (!rc)
        rc = smm_machine_add_buffer(m, buf, len, source, fmt, diag);
    free(buf);
    return rc;
}

/* Finishing: arch, RAM, nodes, special ranges, the map -------------------------- */

static void decide_arch(struct smm_machine *m, enum smm_arch forced)
{
    if (forced != SMM_ARCH_UNKNOWN) {
        m->arch = forced;
        m->arch_from = "--arch";
        return;
    }
    int best = 0;
    for (int a = 1; a < 4; a++)
        if (m->votes[a] > (best ? m->votes[best] : 0))
            best = a;
    m->arch = best ? (enum smm_arch)best : SMM_ARCH_X86;
    m->arch_from = best ? m->vote_why[best] : "default (nothing in the input names one)";
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * The node map: disjoint intervals, each with the node of the first entry
 * covering it in priority order (the kernel's node ranges, then SRAT, each
 * in reading order).  Built by painting elementary intervals; the number of
 * node entries is bounded (SMM_MACHINE_NODE_RANGES_MAX), so this stays
 * O(entries x intervals) at worst and lookups are a binary search.
 */
static int build_node_map(struct smm_machine *m, struct smm_diag *diag)
{
    static const uint32_t order[] = {SMM_SRC_NODES, SMM_SRC_SRAT};
    size_t n = 0;
    list_free(&m->nodemap);
    for (size_t i = 0; i < m->all.n; i++)
        n += (m->all.v[i].kind == SMM_SRC_NODES || m->all.v[i].kind == SMM_SRC_SRAT) &&
             m->all.v[i].node != SMM_NODE_NONE;
    if (n == 0)
        return 0;
    if (n > SMM_MACHINE_NODE_RANGES_MAX) {
        smm_diag_set(diag, -SMM_ERANGE, m->files[0], 0,
                     "more than %d NUMA ranges (SRAT and node lines): a limit of this tool",
                     SMM_MACHINE_NODE_RANGES_MAX);
        return -SMM_ERANGE;
    }
    uint64_t *pts = malloc(2 * n * sizeof(*pts));
    int32_t *node = NULL;
    if (!pts)
        return -SMM_ENOMEM;
    size_t np = 0;
    for (size_t i = 0; i < m->all.n; i++) {
        const struct smm_mrange *r = &m->all.v[i];
        if ((r->kind == SMM_SRC_NODES || r->kind == SMM_SRC_SRAT) && r->node != SMM_NODE_NONE) {
            pts[np++] = r->start;
            pts[np++] = r->end;
        }
    }
    qsort(pts, np, sizeof(*pts), cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < np; i++)
        if (k == 0 || pts[i] != pts[k - 1])
            pts[k++] = pts[i];
    np = k;
    node = malloc(np * sizeof(*node));
    int rc = node ? 0 : -SMM_ENOMEM;
    for (size_t e = 0; !rc && e < np; e++)
        node[e] = SMM_NODE_NONE;
    /* paint lowest priority first, so higher priority entries win */
    for (int o = 1; !rc && o >= 0; o--) {
        for (size_t i = m->all.n; i-- > 0;) {
            const struct smm_mrange *r = &m->all.v[i];
            if (r->kind != order[o] || r->node == SMM_NODE_NONE)
                continue;
            size_t lo = 0, hi = np;
            while (lo < hi) { /* first point >= r->start */
                size_t mid = lo + (hi - lo) / 2;
                if (pts[mid] < r->start)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t e = lo; e + 1 < np && pts[e] < r->end; e++)
                node[e] = r->node;
        }
    }
    for (size_t e = 0; !rc && e + 1 < np; e++) {
        if (node[e] == SMM_NODE_NONE)
            continue;
        struct smm_mrange *last = m->nodemap.n ? &m->nodemap.v[m->nodemap.n - 1] : NULL;
        if (last && last->end == pts[e] && last->node == node[e]) {
            last->end = pts[e + 1];
            continue;
        }
        struct smm_mrange r = {.start = pts[e], .end = pts[e + 1], .node = node[e]};
        rc = list_push(&m->nodemap, &r);
    }
    free(pts);
    free(node);
    if (rc == -SMM_ENOMEM)
        smm_diag_set(diag, -SMM_ENOMEM, m->files[0], 0, "out of memory");
    return rc;
}

int32_t smm_machine_node_at(const struct smm_machine *m, uint64_t a, uint64_t *next)
{
    size_t lo = 0, hi = m->nodemap.n;
    while (lo < hi) { /* first interval ending after a */
        size_t mid = lo + (hi - lo) / 2;
        if (m->nodemap.v[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->nodemap.n) {
        *next = UINT64_MAX;
        return SMM_NODE_NONE;
    }
    const struct smm_mrange *r = &m->nodemap.v[lo];
    if (r->start <= a) {
        *next = r->end;
        return r->node;
    }
    *next = r->start;
    return SMM_NODE_NONE;
}

/* Push r split at node boundaries, each piece with its node. */
static int push_by_node(const struct smm_machine *m, struct smm_mrange_list *out,
                        const struct smm_mrange *r)
{
    for (uint64_t a = r->start; a < r->end;) {
        uint64_t next;
        int32_t node = r->kind == SMM_SRC_SRAT ? r->node : smm_machine_node_at(m, a, &next);
        if (r->kind == SMM_SRC_SRAT || next > r->end)
            next = r->end;
        if (node == SMM_NODE_NONE && r->node != SMM_NODE_NONE)
            node = r->node;
        struct smm_mrange p = *r;
        p.start = a;
        p.end = next;
        p.node = node;
        if (list_push(out, &p))
            return -SMM_ENOMEM;
        a = next;
    }
    return 0;
}

static int cmp_mrange(const void *a, const void *b)
{
    const struct smm_mrange *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Flags that make a range special (reported on its own line). */
#define SPECIAL_FLAGS                                                                          \
    (SMM_MF_HOTPLUG | SMM_MF_NONVOLATILE | SMM_MF_SOFT_RESERVED | SMM_MF_CXL |                 \
     SMM_MF_PERSISTENT | SMM_MF_KMEM)

static int cmp_special(const void *a, const void *b)
{
    const struct smm_mrange *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (int)(x->flags & SMM_MF_WINDOW) - (int)(y->flags & SMM_MF_WINDOW);
}

static int collect_special(struct smm_machine *m, struct smm_diag *diag)
{
    size_t windows = 0;
    for (size_t i = 0; i < m->all.n; i++) {
        struct smm_mrange r = m->all.v[i];
        if (!(r.flags & SPECIAL_FLAGS))
            continue;
        if (m->special.n == SMM_MACHINE_SPECIAL_MAX) {
            smm_diag_set(diag, -SMM_ERANGE, m->files[r.file], r.line,
                         "more than %d hot-plug, CXL, soft-reserved, non-volatile or persistent "
                         "ranges: a limit of this tool",
                         SMM_MACHINE_SPECIAL_MAX);
            return -SMM_ERANGE;
        }
        uint64_t next;
        if (r.node == SMM_NODE_NONE)
            r.node = smm_machine_node_at(m, r.start, &next);
        windows += (r.flags & SMM_MF_WINDOW) != 0;
        if (list_push(&m->special, &r))
            return -SMM_ENOMEM;
    }
    if (windows > SMM_MACHINE_WINDOWS_MAX) {
        smm_diag_set(diag, -SMM_ERANGE, m->files[0], 0, "more than %d CXL windows: a limit of this tool",
                     SMM_MACHINE_WINDOWS_MAX);
        return -SMM_ERANGE;
    }
    if (!m->special.n)
        return 0;
    /* the same range from two sources is one range with both flags */
    qsort(m->special.v, m->special.n, sizeof(*m->special.v), cmp_special);
    size_t k = 0;
    for (size_t i = 1; i < m->special.n; i++) {
        struct smm_mrange *p = &m->special.v[k], *c = &m->special.v[i];
        if (p->start == c->start && p->end == c->end && !((p->flags ^ c->flags) & SMM_MF_WINDOW))
            p->flags |= c->flags;
        else
            m->special.v[++k] = *c;
    }
    m->special.n = k + 1;
    /* memory inside a CXL window is CXL memory (sorted by start: scan from the window) */
    for (size_t w = 0; w < m->special.n; w++) {
        const struct smm_mrange *win = &m->special.v[w];
        if (!(win->flags & SMM_MF_WINDOW))
            continue;
        size_t j = w;
        while (j > 0 && m->special.v[j - 1].start == win->start)
            j--;
        for (; j < m->special.n && m->special.v[j].start < win->end; j++) {
            struct smm_mrange *s = &m->special.v[j];
            if (!(s->flags & SMM_MF_WINDOW) && s->end <= win->end)
                s->flags |= SMM_MF_CXL;
        }
    }
    return 0;
}

/* Whether a special range is onlined by the classes asked for. */
static bool onlined(const struct smm_mrange *s, unsigned classes)
{
    if (s->flags & SMM_MF_WINDOW)
        return false; /* a window is address space, its memory is listed apart */
    if ((classes & SMM_MF_HOTPLUG) && (s->flags & SMM_MF_HOTPLUG))
        return true;
    return (classes & SMM_MF_CXL) && (s->flags & (SMM_MF_CXL | SMM_MF_SOFT_RESERVED));
}

static int push_raw(struct smm_rangelist *raw, uint64_t s, uint64_t e, uint32_t type,
                    int32_t node, uint32_t line)
{
    struct smm_range r = {.start = s, .end = e, .type = type, .node = node, .line = line};
    return smm_rangelist_push(raw, &r, NULL, NULL);
}

static int cmp_pair(const void *a, const void *b)
{
    const struct smm_frame_range *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

size_t smm_pairs_merge(struct smm_frame_range *r, size_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof(*r), cmp_pair);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[i].start <= r[k].end) {
            if (r[i].end > r[k].end)
                r[k].end = r[i].end;
        } else {
            r[++k] = r[i];
        }
    }
    return k + 1;
}

/* Sorted, merged [start, end) of the ranges keep() accepts (NULL: all). */
struct pairs {
    struct smm_frame_range *v;
    size_t n;
};

static int merged(const struct smm_mrange *v, size_t n,
                  bool (*keep)(const struct smm_mrange *, unsigned), unsigned arg,
                  struct pairs *out)
{
    out->v = malloc((n ? n : 1) * sizeof(*out->v));
    out->n = 0;
    if (!out->v)
        return -SMM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!keep || keep(&v[i], arg))
            out->v[out->n++] = (struct smm_frame_range){v[i].start, v[i].end};
    out->n = smm_pairs_merge(out->v, out->n);
    return 0;
}

/* Index of the first pair ending after a. */
static size_t first_after(const struct pairs *l, uint64_t a)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The parts of [s, e) no RAM range covers, as RAM of node. */
static int push_gaps(const struct pairs *ram, struct smm_rangelist *raw, uint64_t s,
                     uint64_t e, int32_t node, uint32_t line)
{
    for (size_t i = first_after(ram, s); i < ram->n && ram->v[i].start < e && s < e; i++) {
        if (ram->v[i].start > s && push_raw(raw, s, ram->v[i].start, SMM_MEM_RAM, node, line))
            return -SMM_ENOMEM;
        s = ram->v[i].end;
    }
    return s < e ? push_raw(raw, s, e, SMM_MEM_RAM, node, line) : 0;
}

static bool overlaps(const struct pairs *l, const struct smm_mrange *r)
{
    size_t i = first_after(l, r->start);
    return i < l->n && l->v[i].start < r->end;
}

static int build_map(struct smm_machine *m, struct smm_diag *diag)
{
    const char *source = m->files[0];
    smm_rangelist_release_(&m->raw);
    free(m->map.ranges);
    m->map = (struct smm_memmap){0};
    struct pairs ram = {0}, on = {0};
    int rc = merged(m->ram.v, m->ram.n, NULL, 0, &ram);
    if (!rc)
        rc = merged(m->special.v, m->special.n, onlined, m->online, &on);
    for (size_t i = 0; i < m->ram.n && !rc; i++)
        rc = push_raw(&m->raw, m->ram.v[i].start, m->ram.v[i].end, SMM_MEM_RAM, m->ram.v[i].node,
                      m->ram.v[i].line);
    for (size_t i = 0; i < m->all.n && !rc; i++) {
        const struct smm_mrange *r = &m->all.v[i];
        if (r->kind == m->ram_kind && r->type != SMM_MEM_RAM && !overlaps(&on, r))
            rc = push_raw(&m->raw, r->start, r->end, r->type, SMM_NODE_NONE, r->line);
    }
    for (size_t k = 0; k < m->special.n && !rc; k++)
        if (onlined(&m->special.v[k], m->online))
            rc = push_gaps(&ram, &m->raw, m->special.v[k].start, m->special.v[k].end,
                           m->special.v[k].node, m->special.v[k].line);
    free(ram.v);
    free(on.v);
    size_t n = m->raw.n;
    if (rc || n == 0 || n > SIZE_MAX / (4 * sizeof(struct smm_range))) {
        smm_diag_set(diag, rc ? rc : -SMM_EEMPTY, source, 0, "%s",
                     rc ? "out of memory" : "no RAM ranges found");
        return rc ? rc : -SMM_EEMPTY;
    }
    rc = smm_normalize_(m->raw.v, n, source, &m->map, diag);
    if (!rc && smm_memmap_ram_bytes(&m->map) == 0) {
        smm_diag_set(diag, -SMM_EEMPTY, source, 0, "no RAM ranges found");
        rc = -SMM_EEMPTY;
    }
    return rc;
}

int smm_machine_finish(struct smm_machine *m, enum smm_arch arch, struct smm_diag *diag)
{
    decide_arch(m, arch);
    m->ram_kind = SMM_SRC_COUNT;
    for (size_t k = 0; k < sizeof(ram_priority) / sizeof(ram_priority[0]); k++) {
        for (size_t i = 0; i < m->all.n && m->ram_kind == SMM_SRC_COUNT; i++)
            if (m->all.v[i].kind == ram_priority[k] && m->all.v[i].type == SMM_MEM_RAM)
                m->ram_kind = ram_priority[k];
        if (m->ram_kind != SMM_SRC_COUNT)
            break;
    }
    if (m->ram_kind == SMM_SRC_COUNT) {
        const char *src = m->nr_files ? m->files[0] : "<input>";
        if (m->all.n) { /* ranges, none of them RAM: say how they were read */
            const struct smm_mrange *r = &m->all.v[0];
            enum smm_format f = m->file_format[r->file] != SMM_FMT_AUTO
                                    ? m->file_format[r->file]
                                    : kind_format[r->kind];
            smm_diag_no_ram_read_as_(diag, m->files[r->file], r->line, f, r->type);
        } else {
            smm_diag_set(diag, -SMM_EEMPTY, src, 0, "no RAM ranges found");
        }
        return -SMM_EEMPTY;
    }
    m->ram_format = kind_format[m->ram_kind];
    for (size_t i = 0; i < m->all.n; i++) /* a whole file keeps the format it was read as */
        if (m->all.v[i].kind == m->ram_kind && m->all.v[i].type == SMM_MEM_RAM) {
            if (m->file_format[m->all.v[i].file] != SMM_FMT_AUTO)
                m->ram_format = m->file_format[m->all.v[i].file];
            break;
        }
    list_free(&m->ram);
    list_free(&m->special);
    int rc = build_node_map(m, diag);
    if (rc)
        return rc;
    for (size_t i = 0; i < m->all.n && !rc; i++) {
        const struct smm_mrange *r = &m->all.v[i];
        if (r->kind == m->ram_kind && r->type == SMM_MEM_RAM)
            rc = push_by_node(m, &m->ram, r);
    }
    if (!rc && m->ram.n)
        qsort(m->ram.v, m->ram.n, sizeof(*m->ram.v), cmp_mrange);
    if (rc) {
        smm_diag_set(diag, -SMM_ENOMEM, m->files[0], 0, "out of memory");
        return rc;
    }
    rc = collect_special(m, diag);
    if (rc == -SMM_ENOMEM)
        smm_diag_set(diag, -SMM_ENOMEM, m->files[0], 0, "out of memory");
    if (rc)
        return rc;
    return build_map(m, diag);
}

int smm_machine_online(struct smm_machine *m, unsigned classes, struct smm_diag *diag)
{
    m->online = classes;
    return build_map(m, diag);
}

int smm_machine_load(struct smm_machine *m, const char *const *paths, size_t n,
                     enum smm_format fmt, enum smm_arch arch, struct smm_diag *diag)
{
    machine_reset(m);
    int rc = n ? 0 : -SMM_EINVAL;
    if (!n)
        smm_diag_set(diag, rc, "<input>", 0, "no input files");
    for (size_t i = 0; i < n && !rc; i++)
        rc = smm_machine_add_file(m, paths[i], fmt, diag);
    if (!rc)
        rc = smm_machine_finish(m, arch, diag);
    if (rc)
        machine_reset(m);
    return rc;
}

int smm_loaded_map_create_machine(const struct smm_machine *m, struct smm_loaded_map **out)
{
    struct smm_loaded_map *lm = calloc(1, sizeof(*lm));
    *out = NULL;
    if (!lm)
        return -SMM_ENOMEM;
    size_t len = 0;
    for (size_t i = 0; i < m->nr_files && len + 4 < sizeof(lm->source); i++)
        len += (size_t)snprintf(lm->source + len, sizeof(lm->source) - len, "%s%s",
                                i ? " + " : "", m->files[i]);
    lm->format = m->ram_format;
    lm->map.ranges = malloc((m->map.nr ? m->map.nr : 1) * sizeof(*lm->map.ranges));
    lm->raw.v = malloc((m->raw.n ? m->raw.n : 1) * sizeof(*lm->raw.v));
    if (!lm->map.ranges || !lm->raw.v) {
        smm_loaded_map_destroy(lm);
        return -SMM_ENOMEM;
    }
    memcpy(lm->map.ranges, m->map.ranges, m->map.nr * sizeof(*lm->map.ranges));
    lm->map.nr = lm->map.cap = m->map.nr;
    memcpy(lm->raw.v, m->raw.v, m->raw.n * sizeof(*lm->raw.v));
    lm->raw.n = lm->raw.cap = m->raw.n;
    *out = lm;
    return 0;
}

uint64_t smm_machine_special_bytes(const struct smm_machine *m, uint32_t flags)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < m->special.n; i++)
        if ((m->special.v[i].flags & flags) == flags && !(m->special.v[i].flags & SMM_MF_WINDOW))
            sum += m->special.v[i].end - m->special.v[i].start;
    return sum;
}
