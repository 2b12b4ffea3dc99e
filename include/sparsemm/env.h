/* SPDX-License-Identifier: MIT */
/*
 * env.h - the porting header: everything sparsemm's core takes from its
 * environment, in one file an embedder replaces (the libfdt_env.h model).
 *
 * The core (src/, include/sparsemm/) includes nothing from outside but this
 * file; a hypervisor, kernel or VMM puts its own <sparsemm/env.h> earlier on
 * the include path and provides the same names:
 *
 *   types       uint8_t..uint64_t, int32_t, uintptr_t, size_t, bool/true/
 *               false, NULL, UINT64_C, UINT32_MAX, UINT64_MAX, SIZE_MAX
 *   language    SMM_RESTRICT, SMM_ALIGNAS(n), SMM_NORETURN, SMM_API (the
 *               export attribute of the shared library; may be empty)
 *   hints       SMM_LIKELY(x), SMM_UNLIKELY(x)
 *   bits        SMM_CLZ64(x), SMM_CTZ64(x) (x != 0), SMM_POPCOUNT64(x)
 *   memory      SMM_MEMSET(d, c, n), SMM_MEMCPY(d, s, n), SMM_MEMCMP(a, b, n)
 *   atomics     on plain, naturally aligned uint32_t/uint64_t objects:
 *               SMM_ATOMIC_LOAD_RELAXED(p), SMM_ATOMIC_LOAD_ACQUIRE(p),
 *               SMM_ATOMIC_STORE_RELAXED(p, v), SMM_ATOMIC_STORE_RELEASE(p, v),
 *               SMM_ATOMIC_FENCE_ACQUIRE(), SMM_ATOMIC_FENCE_RELEASE()
 *               (Linux: READ_ONCE, smp_load_acquire, WRITE_ONCE,
 *               smp_store_release, smp_rmb-or-stronger, smp_wmb-or-stronger;
 *               docs/P2M.md says which orderings the protocol needs)
 *   asserts     SMM_ASSERT_LEVEL, SMM_ASSERT_FAIL(expr, file, line): what a
 *               failed assertion does; must not return
 *   sanitizers  SMM_TSAN_IGNORE_WRITES_BEGIN(), SMM_TSAN_IGNORE_WRITES_END()
 *               (empty unless built under ThreadSanitizer)
 *   compiler    the compiler may still emit calls to memcpy, memmove,
 *               memset and memcmp (struct copies, zeroing): the environment
 *               links them, as GCC and Clang require of freestanding code
 *
 * Atomic fields are plain integers in every public struct, so C and C++
 * see one layout (std::atomic<T> is not layout-compatible with _Atomic T by
 * any standard guarantee); every access to them goes through the macros.
 *
 * Assertions.  SMM_ASSERT_LEVEL (define it on the command line, or let the
 * env set it) selects what the core checks (sparsemm.h builds SMM_ASSERT
 * and SMM_ASSERT_EXPENSIVE from it):
 *   0  nothing: conditions are type-checked, never evaluated
 *   1  cheap invariants, SMM_ASSERT(c): O(1), never in a lookup (default)
 *   2  also expensive ones, SMM_ASSERT_EXPENSIVE(c): loops over tables
 * A failure calls SMM_ASSERT_FAIL.  This default env calls
 * smm_assert_fail(file, line, expr), a link-time hook: libsparsemm (hosted)
 * prints "file:line: assertion failed: expr" and aborts; libsparsemm-core
 * traps; an embedder defines its own smm_assert_fail (or maps
 * SMM_ASSERT_FAIL to its panic in its own env.h).
 *
 * This default needs GCC or Clang (builtins for bits, atomics, hints) and
 * the compiler's freestanding <stdbool.h>, <stddef.h>, <stdint.h>.
 */
#ifndef SPARSEMM_ENV_H
#define SPARSEMM_ENV_H

#if !defined(__GNUC__)
#error "sparsemm's default env.h needs GCC or Clang builtins: provide your own <sparsemm/env.h>"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Language: what C and C++ spell differently. */
#ifdef __cplusplus
#define SMM_RESTRICT __restrict
#define SMM_ALIGNAS(n) alignas(n)
#define SMM_NORETURN [[noreturn]]
#else
#define SMM_RESTRICT restrict
#define SMM_ALIGNAS(n) _Alignas(n)
#define SMM_NORETURN _Noreturn
#endif
/* SMM_API marks the library's exported functions (default visibility when
 * building the shared library, whose other symbols are hidden). */
#if defined(SMM_BUILDING_LIBRARY)
#define SMM_API __attribute__((visibility("default")))
#else
#define SMM_API
#endif

/* Branch hints. */
#define SMM_LIKELY(x) __builtin_expect(!!(x), 1)
#define SMM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * Bit operations on uint64_t.  SMM_CLZ64 and SMM_CTZ64 need x != 0; on
 * x86-64 and arm64 the builtins are single instructions (elsewhere they may
 * call libgcc's __clzdi2/__ctzdi2: such an env brings its own).  Popcount
 * is computed here: __builtin_popcountll calls libgcc's __popcountdi2 on
 * x86-64 without -mpopcnt, which a -nostdlib kernel does not link.
 */
#define SMM_CLZ64(x) ((unsigned)__builtin_clzll((unsigned long long)(x)))
#define SMM_CTZ64(x) ((unsigned)__builtin_ctzll((unsigned long long)(x)))
#define SMM_POPCOUNT64(x) smm_env_popcount64(x)
static inline unsigned smm_env_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Memory. */
#define SMM_MEMSET(d, c, n) __builtin_memset((d), (c), (n))
#define SMM_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))
#define SMM_MEMCMP(a, b, n) __builtin_memcmp((a), (b), (n))

/* Atomics on plain uint32_t / uint64_t objects (GCC's __atomic builtins). */
#define SMM_ATOMIC_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define SMM_ATOMIC_LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SMM_ATOMIC_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SMM_ATOMIC_STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define SMM_ATOMIC_FENCE_ACQUIRE() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define SMM_ATOMIC_FENCE_RELEASE() __atomic_thread_fence(__ATOMIC_RELEASE)

/* Assertions: the failure hook (see above).  SMM_ASSERT_LEVEL is left to
 * the command line here; sparsemm.h defaults it to 1. */
#define SMM_ENV_ASSERT_HOOK 1
SMM_NORETURN SMM_API void smm_assert_fail(const char *file, unsigned line, const char *expr);
#define SMM_ASSERT_FAIL(expr, file, line) smm_assert_fail((file), (line), (expr))

/*
 * ThreadSanitizer: bracket a platform call that replaces pages under
 * concurrent readers (mmap MAP_FIXED), which TSan would otherwise see as a
 * plain write racing with the readers' atomic loads.
 */
#if defined(__SANITIZE_THREAD__)
#define SMM_ENV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SMM_ENV_TSAN 1
#endif
#endif
#ifdef SMM_ENV_TSAN
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define SMM_TSAN_IGNORE_WRITES_BEGIN() AnnotateIgnoreWritesBegin(__FILE__, __LINE__)
#define SMM_TSAN_IGNORE_WRITES_END() AnnotateIgnoreWritesEnd(__FILE__, __LINE__)
#else
#define SMM_TSAN_IGNORE_WRITES_BEGIN() ((void)0)
#define SMM_TSAN_IGNORE_WRITES_END() ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif
