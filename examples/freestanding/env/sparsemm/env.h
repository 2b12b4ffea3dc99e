/* SPDX-License-Identifier: MIT */
/*
 * env.h - the freestanding example's own porting header, standing in for
 * the default <sparsemm/env.h> the way a kernel's would: it comes first on
 * the include path, includes nothing (the core builds with -nostdinc), and
 * defines every name the default one does (see include/sparsemm/env.h):
 * types from the compiler's predefined macros, its own bit scans, the
 * libc.c memory functions, and a failed assertion that records where and
 * stops the machine instead of printing.
 */
#ifndef SPARSEMM_ENV_H
#define SPARSEMM_ENV_H
#define EXAMPLE_ENV 1

#ifdef __cplusplus
#error "this example env is for C only"
#endif

/* Types: what <stdint.h>, <stddef.h> and <stdbool.h> would give. */
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;
#define bool _Bool
#define true 1
#define false 0
#define NULL ((void *)0)
#ifdef __UINT64_C_SUFFIX__ /* Clang */
#define EX_PASTE_(a, b) a##b
#define EX_PASTE(a, b) EX_PASTE_(a, b)
#define UINT64_C(x) EX_PASTE(x, __UINT64_C_SUFFIX__)
#else /* GCC */
#define UINT64_C(x) __UINT64_C(x)
#endif
#define UINT32_MAX __UINT32_MAX__
#define UINT64_MAX __UINT64_MAX__
#define SIZE_MAX __SIZE_MAX__

/* Language. */
#define SMM_RESTRICT restrict
#define SMM_ALIGNAS(n) _Alignas(n)
#define SMM_NORETURN _Noreturn
#define SMM_API

/* Hints. */
#define SMM_LIKELY(x) __builtin_expect(!!(x), 1)
#define SMM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Bits: plain loops, as an environment without the builtins would write. */
static inline unsigned ex_clz64(uint64_t x)
{
    unsigned n = 0;
    for (uint64_t b = UINT64_C(1) << 63; !(x & b); b >>= 1)
        n++;
    return n;
}
static inline unsigned ex_ctz64(uint64_t x)
{
    unsigned n = 0;
    for (; !(x & 1); x >>= 1)
        n++;
    return n;
}
static inline unsigned ex_popcount64(uint64_t x)
{
    unsigned n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}
#define SMM_CLZ64(x) ex_clz64(x)
#define SMM_CTZ64(x) ex_ctz64(x)
#define SMM_POPCOUNT64(x) ex_popcount64(x)

/* Memory: the example's libc.c. */
void *memcpy(void *SMM_RESTRICT dst, const void *SMM_RESTRICT src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#define SMM_MEMSET(d, c, n) memset((d), (c), (n))
#define SMM_MEMCPY(d, s, n) memcpy((d), (s), (n))
#define SMM_MEMCMP(a, b, n) memcmp((a), (b), (n))

/* Atomics: one CPU, no preemption inside the core: volatile accesses and
 * compiler barriers are enough here (a kernel would map its own). */
#define SMM_ATOMIC_LOAD_RELAXED(p) (*(const volatile __typeof__(*(p)) *)(p))
#define SMM_ATOMIC_LOAD_ACQUIRE(p)                                                                 \
    __extension__({                                                                                \
        __typeof__(*(p)) v_ = SMM_ATOMIC_LOAD_RELAXED(p);                                          \
        __asm__ volatile("" ::: "memory");                                                         \
        v_;                                                                                        \
    })
#define SMM_ATOMIC_STORE_RELAXED(p, v) ((void)(*(volatile __typeof__(*(p)) *)(p) = (v)))
#define SMM_ATOMIC_STORE_RELEASE(p, v)                                                             \
    do {                                                                                           \
        __asm__ volatile("" ::: "memory");                                                         \
        SMM_ATOMIC_STORE_RELAXED(p, v);                                                            \
    } while (0)
#define SMM_ATOMIC_FENCE_ACQUIRE() __asm__ volatile("" ::: "memory")
#define SMM_ATOMIC_FENCE_RELEASE() __asm__ volatile("" ::: "memory")

/* Assertions: every check, even the expensive ones; a failure is recorded
 * in example_assert (example.c) and stops. */
#define SMM_ASSERT_LEVEL 2
struct example_assert {
    const char *file, *expr;
    unsigned line;
};
extern struct example_assert example_assert;
#define SMM_ASSERT_FAIL(e, f, l)                                                                   \
    do {                                                                                           \
        example_assert.file = (f);                                                                 \
        example_assert.line = (l);                                                                 \
        example_assert.expr = (e);                                                                 \
        __builtin_trap();                                                                          \
    } while (0)

/* No sanitizers in a kernel. */
#define SMM_TSAN_IGNORE_WRITES_BEGIN() ((void)0)
#define SMM_TSAN_IGNORE_WRITES_END() ((void)0)

#endif
