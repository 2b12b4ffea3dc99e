/* SPDX-License-Identifier: MIT */
/*
 * io_test.h - helpers shared by the io/ tests: the corpus directory, file
 * slurping, parsing a string, and the cmocka runner that ends every test
 * binary with the line "N passed, N failed".
 */
#ifndef SPARSEMM_TESTS_IO_TEST_H
#define SPARSEMM_TESTS_IO_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sparsemm/io/memmap_io.h>

/* The corpus directory: argv[1] when given, else SMM_MEMMAPS_DIR. */
const char *io_test_maps_dir(void);
void io_test_set_maps_dir(int argc, char **argv);

/* "dir/name" in a static buffer. */
const char *io_test_map_path(const char *name);

/* Whole file, malloc'ed (NULL on error). */
char *io_test_slurp(const char *path, size_t *len);

/* smm_parse_buffer over a string, source "t". */
int io_test_parse(const char *text, enum smm_format fmt, struct smm_rangelist *out,
                  struct smm_diag *diag);

/* smm_loaded_map_create_buffer over a string, source "t" (diag cleared first). */
int io_test_load(const char *text, enum smm_format fmt, struct smm_loaded_map **m,
                 struct smm_diag *diag);

/* Start of the first and end of the last RAM range of a normalized map. */
uint64_t io_test_ram_lowest(const struct smm_memmap *m);
uint64_t io_test_ram_end(const struct smm_memmap *m);

/* Format by file extension (.xensrat -> srat); SMM_FMT_COUNT if none. */
enum smm_format io_test_format_of(const char *name);

/* Assert diag->msg starts with prefix (prints both on failure). */
#define assert_diag_prefix(diag, prefix)                                                           \
    do {                                                                                           \
        if (strncmp((diag)->msg, (prefix), strlen(prefix)) != 0)                                   \
            fail_msg("diag '%s' does not start with '%s'", (diag)->msg, (prefix));                 \
    } while (0)

#define assert_diag_contains(diag, part)                                                           \
    do {                                                                                           \
        if (!strstr((diag)->msg, (part)))                                                          \
            fail_msg("diag '%s' does not contain '%s'", (diag)->msg, (part));                      \
    } while (0)

/* Run n tests and print the summary line; the exit status is the verdict. */
int io_test_run(const char *name, const struct CMUnitTest *tests, size_t n);

#endif
