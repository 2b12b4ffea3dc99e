/* SPDX-License-Identifier: MIT */
/*
 * assert_posix.c - the hosted library's smm_assert_fail, the hook a failed
 * SMM_ASSERT in the core calls under the default <sparsemm/env.h>: print
 * "file:line: assertion failed: expr" on stderr and abort.  A program
 * linked with libsparsemm may define its own smm_assert_fail instead.
 */
#include <sparsemm/sparsemm.h>

#include <stdio.h>
#include <stdlib.h>

void smm_assert_fail(const char *file, unsigned line, const char *expr)
{
    fprintf(stderr, "%s:%u: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}
