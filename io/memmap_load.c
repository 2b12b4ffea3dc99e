/* SPDX-License-Identifier: MIT */
/*
 * memmap_load.c - from bytes, a file, standard input or the
 * /sys/firmware/memmap directory to a normalized memory map: format
 * dispatch (smm_parse_buffer), the reading (the only I/O in io/), and the
 * call into the core's smm_memmap_normalize() with its errors turned into
 * "source:line: message".
 *
 *   path --read--> bytes --detect/parse--> raw ranges --normalize--> map
 *   dir/N/{start,end,type} --> "start end type\n" per entry --> sysfs parser
 */
#include "io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The no-RAM refusal of a map that holds only other types: how the input was
 * read, how RAM is written in that format, and the first line's type. */
void smm_diag_no_ram_read_as_(struct smm_diag *diag, const char *source, uint32_t line,
                              enum smm_format fmt, uint32_t type)
{
    static const struct { enum smm_format f; const char *ram; } spell[] = {
        {SMM_FMT_PLAIN, "'START END ram' (or no type)"},
        {SMM_FMT_SYSFS, "'START END System RAM'"},
        {SMM_FMT_IOMEM, "'START-END : System RAM'"},
        {SMM_FMT_E820, "'BIOS-e820: [mem START-END] usable'"},
    };
    const char *ram = "a RAM range";
    for (size_t i = 0; i < sizeof(spell) / sizeof(spell[0]); i++)
        if (spell[i].f == fmt)
            ram = spell[i].ram;
    smm_diag_set(diag, -SMM_EEMPTY, source, line,
                 "no RAM ranges found: read as %s, where RAM is %s; this line's range is '%s'",
                 smm_format_name(fmt), ram, smm_mem_type_name(type));
}

/* Nothing detected: say why as precisely as the bytes allow. */
static int undetected(const char *buf, size_t len, const char *source, struct smm_diag *diag)
{
    struct smm_text_ t;
    struct smm_cur_ line;
    bool blank = true;
    int rc;
    smm_text_init_(&t, buf, len, source, diag);
    while ((rc = smm_text_next_(&t, &line)) > 0) {
        smm_cur_skip_ws_(&line);
        blank &= smm_cur_eof_(&line);
    }
    if (rc < 0)
        return rc;
    if (blank) {
        smm_diag_set(diag, -SMM_EEMPTY, source, 0, "empty input");
        return -SMM_EEMPTY;
    }
    smm_diag_set(diag, -SMM_EINVAL, source, 0, "unrecognised memory-map format (name one with --format)");
    return -SMM_EINVAL;
}

static int parse_format(const char *buf, size_t len, const char *source, enum smm_format fmt,
                        struct smm_rangelist *out, struct smm_diag *diag)
{
    struct smm_text_ t;
    smm_text_init_(&t, buf, len, source, diag);
    switch (fmt) {
    case SMM_FMT_E820:
    case SMM_FMT_EFI:
    case SMM_FMT_XL:
    case SMM_FMT_SRAT:
    case SMM_FMT_NODES:
        return smm_parse_dmesg_(&t, fmt, out);
    case SMM_FMT_IOMEM:
        return smm_parse_iomem_(&t, out);
    case SMM_FMT_SYSFS:
        return smm_parse_sysfs_(&t, out);
    case SMM_FMT_PLAIN:
        return smm_parse_plain_(&t, out);
    case SMM_FMT_DTS:
        return smm_parse_dts_(&t, out);
    case SMM_FMT_DTB:
        return smm_parse_dtb_(buf, len, source, out, diag);
    default:
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "unknown input format %d", (int)fmt);
        return -SMM_EINVAL;
    }
}

int smm_parse_buffer(const char *buf, size_t len, const char *source, enum smm_format fmt,
                     enum smm_format *detected, struct smm_rangelist *out, struct smm_diag *diag)
{
    size_t n0 = out->n;
    int rc;
    if (!source)
        source = "<input>";
    if (!buf && len) {
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "no buffer");
        return -SMM_EINVAL;
    }
    size_t clean_len = 0;
    char *clean;
    if (smm_strip_ansi_(buf, len, fmt, &clean, &clean_len)) {
        smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
        return -SMM_ENOMEM;
    }
    if (clean) {
        rc = smm_parse_buffer(clean, clean_len, source, fmt, detected, out, diag);
        free(clean);
        return rc;
    }
    if (fmt == SMM_FMT_AUTO) {
        fmt = smm_detect_format(buf, len);
        if (fmt == SMM_FMT_COUNT)
            return undetected(buf, len, source, diag);
    }
    if (detected)
        *detected = fmt;
    rc = parse_format(buf, len, source, fmt, out, diag);
    if (rc == 0 && out->n == n0) {
        smm_diag_set(diag, -SMM_EEMPTY, source, 0, "no memory ranges found (format %s)", smm_format_name(fmt));
        rc = -SMM_EEMPTY;
    }
    if (rc)
        out->n = n0;
    return rc;
}

int smm_normalize_(const struct smm_range *raw, size_t n, const char *source,
                   struct smm_memmap *map, struct smm_diag *diag)
{
    void *scratch = malloc(smm_memmap_normalize_scratch_bytes(n));
    *map = (struct smm_memmap){.ranges = malloc(2 * n * sizeof(struct smm_range)), .cap = 2 * n};
    struct smm_diag core = {0};
    int rc = scratch && map->ranges ? smm_memmap_normalize(raw, n, scratch, map, &core)
                                    : -SMM_ENOMEM;
    free(scratch);
    if (rc == -SMM_ENOMEM)
        smm_diag_set(diag, rc, source, 0, "out of memory");
    else if (rc) {
        smm_diag_set(diag, rc, source, core.line, "%s", core.msg);
        if (diag && diag->code == rc)
            diag->other_line = core.other_line;
    }
    return rc;
}

/* Normalize m->raw into m->map (owned by m). */
static int normalize(struct smm_loaded_map *m, const char *source, struct smm_diag *diag)
{
    size_t n = m->raw.n;
    if (n == 0 || n > UINT32_MAX / 2 || n > SIZE_MAX / (2 * sizeof(struct smm_range))) {
        smm_diag_set(diag, -SMM_ENOSPC, source, 0, "%zu ranges: cannot normalize", n);
        return -SMM_ENOSPC;
    }
    int rc = smm_normalize_(m->raw.v, n, source, &m->map, diag);
    if (!rc && smm_memmap_ram_bytes(&m->map) == 0) {
        size_t first_ram = 0;
        while (first_ram < n && m->raw.v[first_ram].type != SMM_MEM_RAM)
            first_ram++;
        if (first_ram < n)
            smm_diag_set(diag, -SMM_EEMPTY, source, m->raw.v[first_ram].line,
                         "no RAM ranges found: this RAM range and any other are all claimed by "
                         "non-RAM ranges");
        else
            smm_diag_no_ram_read_as_(diag, source, m->raw.v[0].line, m->format,
                                     m->raw.v[0].type);
        rc = -SMM_EEMPTY;
    }
    return rc;
}

int smm_loaded_map_create_buffer(const char *buf, size_t len, const char *source,
                                 enum smm_format fmt, struct smm_loaded_map **out,
                                 struct smm_diag *diag)
{
    struct smm_loaded_map *m = calloc(1, sizeof(*m));
    *out = NULL;
    if (!source)
        source = "<input>";
    if (!m) {
        smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
        return -SMM_ENOMEM;
    }
    snprintf(m->source, sizeof(m->source), "%s", source);
    int rc = smm_parse_buffer(buf, len, source, fmt, &m->format, &m->raw, diag);
    if (!rc)
        rc = normalize(m, source, diag);
    if (rc)
        smm_loaded_map_destroy(m);
    else
        *out = m;
    return rc;
}

void smm_loaded_map_destroy(struct smm_loaded_map *m)
{
    if (!m)
        return;
    free(m->map.ranges);
    smm_rangelist_release_(&m->raw);
    free(m);
}

/* A growable byte buffer. */
struct bytes {
    char *p;
    size_t n, cap;
};

static int bytes_reserve(struct bytes *b, size_t more)
{
    if (b->cap - b->n >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -SMM_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

/*
 * Read fd to its end into b, at most max bytes.  Return 0, 1 when there
 * is more than max, or -errno-style failure (errno set, -SMM_EFAULT).
 */
static int read_all(int fd, size_t max, struct bytes *b)
{
    for (;;) {
        if (bytes_reserve(b, 65536) != 0)
            return errno = ENOMEM, -SMM_ENOMEM;
        size_t room = b->cap - b->n;
        if (room > max + 1 - b->n)
            room = max + 1 - b->n;
        ssize_t got = read(fd, b->p + b->n, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -SMM_EFAULT;
        if (got == 0)
            return 0;
        b->n += (size_t)got;
        if (b->n > max)
            return 1;
    }
}

/* Read a whole file (or stdin) of at most max bytes, with messages. */
static int read_path(const char *path, const char *source, size_t max, struct bytes *b,
                     struct smm_diag *diag)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    struct stat st;
    int rc;
    if (fd < 0) {
        smm_diag_set(diag, -SMM_EFAULT, source, 0, "cannot open: %s", strerror(errno));
        return -SMM_EFAULT;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
        rc = 1;
    else
        rc = read_all(fd, max, b);
    int err = errno;
    if (path)
        close(fd);
    if (rc == 1) {
        smm_diag_set(diag, -SMM_EINVAL, source, 0, "larger than %zu bytes", max);
        return -SMM_EINVAL;
    }
    if (rc < 0)
        smm_diag_set(diag, rc, source, 0, "cannot read: %s", strerror(err));
    return rc;
}

static int cmp_ulong(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return (x > y) - (x < y);
}

/* The numbered entries of a /sys/firmware/memmap-like directory, sorted. */
static int list_entries(const char *dir, unsigned long **v, size_t *n, struct smm_diag *diag)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;
    if (!d) {
        smm_diag_set(diag, -SMM_EFAULT, dir, 0, "cannot open directory: %s", strerror(errno));
        return -SMM_EFAULT;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strspn(e->d_name, "0123456789");
        if (len == 0 || len > 9 || e->d_name[len] != '\0')
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            unsigned long *nv = realloc(*v, cap * sizeof(*nv));
            if (!nv) {
                closedir(d);
                smm_diag_set(diag, -SMM_ENOMEM, dir, 0, "out of memory");
                return -SMM_ENOMEM;
            }
            *v = nv;
        }
        (*v)[(*n)++] = strtoul(e->d_name, NULL, 10);
    }
    closedir(d);
    if (*n == 0) {
        smm_diag_set(diag, -SMM_EEMPTY, dir, 0, "no numbered entries (not a /sys/firmware/memmap tree?)");
        return -SMM_EEMPTY;
    }
    qsort(*v, *n, sizeof(**v), cmp_ulong);
    return 0;
}

/* Append dir/N/field's one line of text, then sep, to text. */
static int append_field(const char *dir, unsigned long entry, const char *field, char sep,
                        struct bytes *text, struct smm_diag *diag)
{
    char path[PATH_MAX];
    struct bytes b = {0};
    if (snprintf(path, sizeof(path), "%s/%lu/%s", dir, entry, field) >= (int)sizeof(path)) {
        smm_diag_set(diag, -SMM_EINVAL, dir, 0, "path too long");
        return -SMM_EINVAL;
    }
    int rc = read_path(path, path, 4096, &b, diag);
    if (!rc && b.n > 0 && b.p[b.n - 1] == '\n')
        b.n--;
    if (!rc && (b.n == 0 || memchr(b.p, '\n', b.n))) {
        smm_diag_set(diag, -SMM_EINVAL, path, 0, "expected one non-empty line");
        rc = -SMM_EINVAL;
    }
    if (!rc && text->n + b.n + 1 > SMM_INPUT_MAX) {
        smm_diag_set(diag, -SMM_EINVAL, dir, 0, "larger than %u bytes", SMM_INPUT_MAX);
        rc = -SMM_EINVAL;
    }
    if (!rc && bytes_reserve(text, b.n + 1) != 0) {
        smm_diag_set(diag, -SMM_ENOMEM, dir, 0, "out of memory");
        rc = -SMM_ENOMEM;
    }
    if (!rc) {
        memcpy(text->p + text->n, b.p, b.n);
        text->n += b.n;
        text->p[text->n++] = sep;
    }
    free(b.p);
    return rc;
}

/*
 * dir/N/{start,end,type} for every numbered N, in numeric order, as the
 * sysfs dump text "start end type\n": line k of it is the k-th entry.
 */
static int read_sysfs_dir(const char *dir, struct bytes *text, struct smm_diag *diag)
{
    static const char *const fields[] = {"start", "end", "type"};
    unsigned long *entries = NULL;
    size_t n = 0;
    int rc = list_entries(dir, &entries, &n, diag);
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t f = 0; !rc && f < 3; f++)
            rc = append_field(dir, entries[i], fields[f], f == 2 ? '\n' : ' ', text, diag);
    free(entries);
    return rc;
}

int smm_read_input_(const char *path, enum smm_format *fmt, char **buf, size_t *len,
                    const char **source_out, struct smm_diag *diag)
{
    struct bytes b = {0};
    struct stat st;
    int rc;
    if (!path) {
        smm_diag_set(diag, -SMM_EINVAL, "<input>", 0, "no path");
        return -SMM_EINVAL;
    }
    bool is_stdin = strcmp(path, "-") == 0;
    const char *source = is_stdin ? "<stdin>" : path;
    *source_out = source;
    if (!is_stdin && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (*fmt != SMM_FMT_AUTO && *fmt != SMM_FMT_SYSFS) {
            smm_diag_set(diag, -SMM_EINVAL, source, 0, "a directory is read as sysfs, not as %s",
                         smm_format_name(*fmt));
            return -SMM_EINVAL;
        }
        *fmt = SMM_FMT_SYSFS;
        rc = read_sysfs_dir(path, &b, diag);
    } else {
        rc = read_path(is_stdin ? NULL : path, source, SMM_INPUT_MAX, &b, diag);
    }
    if (rc) {
        free(b.p);
        return rc;
    }
    *buf = b.p;
    *len = b.n;
    return 0;
}

int smm_loaded_map_create(const char *path, enum smm_format fmt, struct smm_loaded_map **out,
                          struct smm_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    const char *source;

    *out = NULL;
    int rc = smm_read_input_(path, &fmt, &buf, &len, &source, diag);
    if (!rc)
        rc = smm_loaded_map_create_buffer(buf, len, source, fmt, out, diag);
    free(buf);
    return rc;
}
