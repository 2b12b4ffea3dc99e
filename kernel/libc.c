/* SPDX-License-Identifier: MIT */
/*
 * libc.c - the C library the freestanding core and the compiler expect:
 * memset, memcpy, memmove, memcmp (gcc emits calls to them for struct
 * copies and clears even under -ffreestanding), and smm_assert_fail, the
 * link-time hook of the default <sparsemm/env.h>: a failed SMM_ASSERT in the
 * core prints its file:line and fails the run.  The only such shims in the
 * kernel.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include <sparsemm/sparsemm.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return ret;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return ret;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

void smm_assert_fail(const char *file, unsigned line, const char *expr)
{
    kprintf("%s:%u: assertion failed: %s\n", file, line, expr);
    fail_run();
}
