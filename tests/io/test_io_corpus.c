/* SPDX-License-Identifier: MIT */
/*
 * test_io_corpus.c - every real map of the shared corpus: loaded with
 * --format auto it gives expected.tsv's RAM bytes, merged ranges, lowest
 * address and end; detection names the format its extension says; parsed
 * with that format named explicitly it gives the same numbers.  Also the
 * /sys/firmware/memmap directory form, built from the .sysfs dump.
 */
#include "io_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct expect {
    char file[128];
    uint64_t ram_bytes;
    size_t ranges;
    uint64_t lowest;
    uint64_t end;
};

static struct expect *rows;
static size_t nrows;

/* expected.tsv: "file ram_bytes ranges lowest end", a header line first. */
static int read_expected(void)
{
    size_t len;
    char *text = io_test_slurp(io_test_map_path("expected.tsv"), &len);
    if (!text)
        return -1;
    text = realloc(text, len + 1);
    text[len] = '\0';
    rows = calloc(len / 16 + 1, sizeof(*rows));
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct expect e;
        if (sscanf(line, "%127s %" SCNu64 " %zu %" SCNx64 " %" SCNx64, e.file, &e.ram_bytes,
                   &e.ranges, &e.lowest, &e.end) == 5)
            rows[nrows++] = e;
    }
    free(text);
    return 0;
}

static void check_numbers(const struct expect *e, const struct smm_loaded_map *m)
{
    uint64_t ram = smm_memmap_ram_bytes(&m->map);
    size_t ext = smm_memmap_ram_extents(&m->map);
    if (ram != e->ram_bytes || ext != e->ranges)
        print_error("%s: ram %" PRIu64 " (want %" PRIu64 "), ranges %zu (want %zu)\n", e->file, ram,
                    e->ram_bytes, ext, e->ranges);
    assert_int_equal(ram, e->ram_bytes);
    assert_int_equal(ext, e->ranges);
    assert_int_equal(io_test_ram_lowest(&m->map), e->lowest);
    assert_int_equal(io_test_ram_end(&m->map), e->end);
}

/* (1) auto format reproduces expected.tsv. */
static void test_expected_auto(void **state)
{
    const struct expect *e = *state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    int rc = smm_loaded_map_create(io_test_map_path(e->file), SMM_FMT_AUTO, &m, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_int_equal(m->format, io_test_format_of(e->file));
    check_numbers(e, m);
    smm_loaded_map_destroy(m);
}

/* (2) detection by content names the format the extension says. */
static void test_detect(void **state)
{
    const struct expect *e = *state;
    size_t len;
    char *buf = io_test_slurp(io_test_map_path(e->file), &len);
    assert_non_null(buf);
    enum smm_format f = smm_detect_format(buf, len);
    free(buf);
    assert_string_equal(smm_format_name(f), smm_format_name(io_test_format_of(e->file)));
}

/* (3) the format named explicitly gives the same numbers. */
static void test_explicit(void **state)
{
    const struct expect *e = *state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    enum smm_format f = io_test_format_of(e->file);
    int rc = smm_loaded_map_create(io_test_map_path(e->file), f, &m, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_int_equal(m->format, f);
    for (size_t i = 0; i < m->raw.n; i++)
        assert_true(m->raw.v[i].line >= 1);
    check_numbers(e, m);
    smm_loaded_map_destroy(m);
}

static void test_row_count(void **state)
{
    (void)state;
    assert_int_equal(nrows, 34);
}

/* (4) the directory form: dir/N/{start,end,type}, built from the dump. */
static char sysfs_dir[64];

static void write_file(const char *dir, int entry, const char *field, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%d/%s", dir, entry, field);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", text);
    fclose(f);
}

static int build_sysfs_dir(void **state)
{
    (void)state;
    size_t len;
    char *text = io_test_slurp(io_test_map_path("local-firecracker-epyc-vm.sysfs"), &len);
    if (!text)
        return -1;
    strcpy(sysfs_dir, "/tmp/smm-sysfs-XXXXXX");
    if (!mkdtemp(sysfs_dir))
        return -1;
    text = realloc(text, len + 1);
    text[len] = '\0';
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char start[32], end[32], path[256];
        int used;
        if (sscanf(line, "%31s %31s %n", start, end, &used) != 2)
            continue;
        /* numbered out of order on purpose: 10 must sort after 9 */
        int entry = n == 0 ? 10 : n;
        snprintf(path, sizeof(path), "%s/%d", sysfs_dir, entry);
        mkdir(path, 0700);
        write_file(sysfs_dir, entry, "start", start);
        write_file(sysfs_dir, entry, "end", end);
        write_file(sysfs_dir, entry, "type", line + used);
        n++;
    }
    free(text);
    char junk[256];
    snprintf(junk, sizeof(junk), "%s/not-an-entry", sysfs_dir);
    mkdir(junk, 0700);
    return n == 5 ? 0 : -1;
}

static int remove_sysfs_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_sysfs_directory(void **state)
{
    (void)state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    const struct expect want = {"local-firecracker-epyc-vm.sysfs", 25769409536u, 3, 0x0,
                                0x640000000u};
    int rc = smm_loaded_map_create(sysfs_dir, SMM_FMT_AUTO, &m, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_int_equal(m->format, SMM_FMT_SYSFS);
    assert_int_equal(m->raw.n, 5);
    /* entry 10 (the first line of the dump) sorts last */
    assert_int_equal(m->raw.v[4].start, 0);
    assert_int_equal(m->raw.v[4].line, 5);
    check_numbers(&want, m);
    smm_loaded_map_destroy(m);

    smm_diag_clear(&d);
    rc = smm_loaded_map_create(sysfs_dir, SMM_FMT_E820, &m, &d);
    assert_int_equal(rc, -SMM_EINVAL);
    assert_diag_contains(&d, "a directory is read as sysfs");

    /* a broken entry is named by its path */
    char path[256];
    snprintf(path, sizeof(path), "%s/2/type", sysfs_dir);
    assert_int_equal(unlink(path), 0);
    smm_diag_clear(&d);
    rc = smm_loaded_map_create(sysfs_dir, SMM_FMT_AUTO, &m, &d);
    assert_true(rc < 0);
    assert_diag_prefix(&d, path);
    write_file(sysfs_dir, 2, "type", "");
    smm_diag_clear(&d);
    rc = smm_loaded_map_create(sysfs_dir, SMM_FMT_AUTO, &m, &d);
    assert_int_equal(rc, -SMM_EINVAL);
    assert_diag_contains(&d, "expected one non-empty line");
    smm_loaded_map_destroy(m);
}

static void test_empty_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/smm-empty-XXXXXX";
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    assert_non_null(mkdtemp(dir));
    int rc = smm_loaded_map_create(dir, SMM_FMT_AUTO, &m, &d);
    rmdir(dir);
    assert_int_equal(rc, -SMM_EEMPTY);
    assert_diag_prefix(&d, dir);
}

int main(int argc, char **argv)
{
    io_test_set_maps_dir(argc, argv);
    if (read_expected() != 0) {
        printf("cannot read %s\n0 passed, 1 failed\n", io_test_map_path("expected.tsv"));
        return 1;
    }
    size_t n = 0;
    struct CMUnitTest *tests = calloc(3 * nrows + 3, sizeof(*tests));
    static char names[3][64][160];
    for (size_t i = 0; i < nrows && i < 64; i++) {
        static const char *const kind[3] = {"expected", "detect", "explicit"};
        static const CMUnitTestFunction fn[3] = {test_expected_auto, test_detect, test_explicit};
        for (int k = 0; k < 3; k++) {
            snprintf(names[k][i], sizeof(names[k][i]), "%s %s", kind[k], rows[i].file);
            tests[n++] = (struct CMUnitTest){
                .name = names[k][i], .test_func = fn[k], .initial_state = &rows[i]};
        }
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_row_count);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
        test_sysfs_directory, build_sysfs_dir, remove_sysfs_dir);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_empty_directory);
    int rc = io_test_run("io corpus", tests, n);
    free(tests);
    free(rows);
    return rc;
}
