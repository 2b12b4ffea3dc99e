/* SPDX-License-Identifier: MIT */
/*
 * tiny.h - the in-tree test harness for the freestanding core.
 *
 * Checks are typed and print both values on failure; a test binary calls
 * TINY_RUN(fn) for each test and returns tiny_finish(), which prints the
 * one summary line every sparsemm test binary ends with:
 *     N passed, N failed
 * The harness needs only a printf-like sink, so the same tests can run in an
 * embedded environment that provides one.
 */
#ifndef SPARSEMM_TESTS_TINY_H
#define SPARSEMM_TESTS_TINY_H

#include <inttypes.h>
#include <stdio.h>

static unsigned tiny_passed, tiny_failed, tiny_current_failed;

#define TINY_FAIL_AT(...)                                                                    \
    do {                                                                                     \
        printf("%s:%d: ", __FILE__, __LINE__);                                               \
        printf(__VA_ARGS__);                                                                 \
        printf("\n");                                                                        \
        tiny_current_failed++;                                                               \
    } while (0)

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond))                                                                         \
            TINY_FAIL_AT("check failed: %s", #cond);                                         \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
    do {                                                                                     \
        uint64_t tiny_a_ = (uint64_t)(a), tiny_b_ = (uint64_t)(b);                           \
        if (tiny_a_ != tiny_b_)                                                              \
            TINY_FAIL_AT("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, #b, tiny_a_, tiny_b_); \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                   \
    do {                                                                                     \
        long long tiny_a_ = (long long)(a), tiny_b_ = (long long)(b);                        \
        if (tiny_a_ != tiny_b_)                                                              \
            TINY_FAIL_AT("%s == %s: %lld != %lld", #a, #b, tiny_a_, tiny_b_);                \
    } while (0)

#define TINY_RUN(fn)                                                                         \
    do {                                                                                     \
        tiny_current_failed = 0;                                                             \
        fn();                                                                                \
        if (tiny_current_failed) {                                                           \
            tiny_failed++;                                                                   \
            printf("FAIL %s\n", #fn);                                                        \
        } else {                                                                             \
            tiny_passed++;                                                                   \
        }                                                                                    \
    } while (0)

static inline int tiny_finish(void)
{
    printf("%u passed, %u failed\n", tiny_passed, tiny_failed);
    return tiny_failed ? 1 : 0;
}

#endif
