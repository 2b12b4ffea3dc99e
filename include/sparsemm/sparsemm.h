/* SPDX-License-Identifier: MIT */
/*
 * sparsemm.h - umbrella header: common types, error codes, export macro.
 *
 * Glossary used throughout sparsemm:
 *   maddr  machine (host physical) byte address
 *   mfn    machine frame number, maddr >> SMM_PAGE_SHIFT
 *   pfn    frame number in the space being compressed; for the host's own
 *          tables pfn == mfn
 *   gfn    a guest's pseudo-physical frame number
 *   pdx    page index: compressed pfn, index of the frame table and the
 *          direct map
 *   [start, end)  every range in sparsemm is half open unless a name says
 *          "last" (inclusive)
 *
 * Every fallible function returns 0 or a negative -SMM_E* code; results go
 * through out-parameters.  smm_strerror() names a code; each code has one
 * meaning.  Functions that can say why take an optional struct smm_diag *
 * as their last parameter (<sparsemm/diag.h>): the one channel for
 * reasons, a code and a text.
 *
 * Lifecycle, the one rule every object follows: an object is made by
 * smm_<obj>_create(..., struct smm_<obj> **out[, struct smm_diag *diag])
 * and given back by smm_<obj>_destroy(obj), which accepts NULL and cannot
 * fail.  create allocates the object itself (core objects through the
 * platform, hosted ones from the C heap), so a caller never holds one by
 * value and never sees its private state; a failed create leaves nothing
 * behind and sets *out to NULL.  Everything between create and destroy is
 * an operation on the object (populate, mark, grow, store...).  Objects
 * with an inline fast path expose a const read-side head, read only by
 * the inline functions of their header.  Plain values (configs, ranges,
 * reports) are the caller's: filled by smm_<thing>_default() where they
 * have defaults, nothing to release.  The platform (<sparsemm/platform.h>)
 * is such a value by design: the embedder's own table of callbacks, which
 * the core only calls (the POSIX one is filled by smm_posix_platform_init()
 * and emptied by smm_posix_platform_fini()).
 *
 * Everything the core takes from its environment (types, atomics, bit
 * operations, the assertion hook) comes from <sparsemm/env.h>, the one file
 * an embedder replaces.  Every header compiles as C11 and as C++11.
 */
#ifndef SPARSEMM_SPARSEMM_H
#define SPARSEMM_SPARSEMM_H

#include <sparsemm/env.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Assertions inside the core, built on the env's SMM_ASSERT_FAIL:
 * SMM_ASSERT for cheap invariants (level >= 1, the default), SMM_ASSERT_EXPENSIVE
 * for ones that walk a table (level >= 2).  At level 0 a condition is
 * type-checked and never evaluated.  An env may define both itself.
 */
#ifndef SMM_ASSERT_LEVEL
#define SMM_ASSERT_LEVEL 1
#endif
#define SMM_ASSERT_CHECK_(c)                                                                       \
    do {                                                                                           \
        if (SMM_UNLIKELY(!(c)))                                                                    \
            SMM_ASSERT_FAIL(#c, __FILE__, (unsigned)__LINE__);                                     \
    } while (0)
#define SMM_ASSERT_SKIP_(c) ((void)sizeof(!(c)))
#ifndef SMM_ASSERT
#if SMM_ASSERT_LEVEL >= 1
#define SMM_ASSERT(c) SMM_ASSERT_CHECK_(c)
#else
#define SMM_ASSERT(c) SMM_ASSERT_SKIP_(c)
#endif
#endif
#ifndef SMM_ASSERT_EXPENSIVE
#if SMM_ASSERT_LEVEL >= 2
#define SMM_ASSERT_EXPENSIVE(c) SMM_ASSERT_CHECK_(c)
#else
#define SMM_ASSERT_EXPENSIVE(c) SMM_ASSERT_SKIP_(c)
#endif
#endif

#define SMM_PAGE_SHIFT 12
#define SMM_PAGE_SIZE (UINT64_C(1) << SMM_PAGE_SHIFT)

/* Physical addresses above 2^52 do not exist on any architecture we model. */
#define SMM_MADDR_BITS 52
#define SMM_MADDR_LIMIT (UINT64_C(1) << SMM_MADDR_BITS)
#define SMM_PFN_BITS (SMM_MADDR_BITS - SMM_PAGE_SHIFT)

enum smm_error {
    SMM_OK = 0,
    SMM_EINVAL = 1,   /* an argument is out of its documented domain */
    SMM_ENOMEM = 2,   /* the platform refused memory */
    SMM_ENOSPC = 3,   /* a caller-provided buffer is too small */
    SMM_ERANGE = 4,   /* an address or frame is out of range */
    SMM_EOVERLAP = 5, /* RAM ranges overlap with contradictory data */
    SMM_EEMPTY = 6,   /* a memory map holds no RAM */
    SMM_ENOTSUP = 7,  /* the operation does not apply to this object */
    SMM_EFAULT = 8,   /* the platform failed for another reason */
    SMM_EMAPLIMIT = 9, /* the kernel's limit on mappings (vm.max_map_count), not memory */
    SMM_EBUSY = 10,   /* a concurrent writer kept changing it; try again */
    SMM_ERROR_COUNT
};

/* smm_strerror - a short, static description of -code or code. */
SMM_API const char *smm_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
