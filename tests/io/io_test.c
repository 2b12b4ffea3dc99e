/* SPDX-License-Identifier: MIT */
/* io_test.c - helpers shared by the io/ tests (see io_test.h). */
#include "io_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *maps_dir = SMM_MEMMAPS_DIR;

const char *io_test_maps_dir(void)
{
    return maps_dir;
}

void io_test_set_maps_dir(int argc, char **argv)
{
    if (argc > 1 && argv[1][0])
        maps_dir = argv[1];
}

const char *io_test_map_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", maps_dir, name);
    return path;
}

char *io_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

int io_test_parse(const char *text, enum smm_format fmt, struct smm_rangelist *out,
                  struct smm_diag *diag)
{
    smm_diag_clear(diag); /* a fresh reason per call: the first one wins */
    return smm_parse_buffer(text, strlen(text), "t", fmt, NULL, out, diag);
}

int io_test_load(const char *text, enum smm_format fmt, struct smm_loaded_map **m,
                 struct smm_diag *diag)
{
    smm_diag_clear(diag);
    return smm_loaded_map_create_buffer(text, strlen(text), "t", fmt, m, diag);
}

uint64_t io_test_ram_lowest(const struct smm_memmap *m)
{
    for (size_t i = 0; i < m->nr; i++)
        if (m->ranges[i].type == SMM_MEM_RAM)
            return m->ranges[i].start;
    return UINT64_MAX;
}

uint64_t io_test_ram_end(const struct smm_memmap *m)
{
    for (size_t i = m->nr; i-- > 0;)
        if (m->ranges[i].type == SMM_MEM_RAM)
            return m->ranges[i].end;
    return 0;
}

enum smm_format io_test_format_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return SMM_FMT_COUNT;
    if (strcmp(dot, ".xensrat") == 0)
        return SMM_FMT_SRAT;
    enum smm_format f = smm_format_from_name(dot + 1);
    return f == SMM_FMT_AUTO ? SMM_FMT_COUNT : f;
}

int io_test_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
    int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    fflush(stderr);
    printf("%zu passed, %d failed\n", n - (size_t)failed, failed);
    fflush(stdout);
    return failed != 0;
}
