/* SPDX-License-Identifier: MIT */
/*
 * platform_posix.h - the POSIX implementation of the platform contract
 * (mmap/madvise/mprotect/munmap), with byte accounting and fault
 * injection.  Thread-safe: every primitive locks the platform's
 * bookkeeping, so any number of threads may share one platform.
 */
#ifndef SPARSEMM_PLATFORM_POSIX_H
#define SPARSEMM_PLATFORM_POSIX_H

#include <sparsemm/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Initialise p as a POSIX platform.  Return 0 or -SMM_ENOMEM. */
SMM_API int smm_posix_platform_init(struct smm_platform *p);

/* Release everything still reserved and free the bookkeeping. */
SMM_API void smm_posix_platform_fini(struct smm_platform *p);

/*
 * smm_posix_describe - smm_strerror(code), and for -SMM_EMAPLIMIT the
 * numbers behind the platform's last such refusal (the process's mappings
 * and vm.max_map_count), written into buf.  Returns buf.
 */
SMM_API const char *smm_posix_describe(const struct smm_platform *p, int code, char *buf,
                                       size_t len);

/*
 * smm_posix_fail_at - fault injection: the nth primitive call from now
 * (1 = the next one) fails with -SMM_ENOMEM and does nothing.  0 disarms.
 * release is counted but never fails.
 */
SMM_API void smm_posix_fail_at(struct smm_platform *p, uint64_t nth);

/* Number of reservations still live (leak checks in tests). */
SMM_API size_t smm_posix_live_reservations(const struct smm_platform *p);

/*
 * smm_posix_machine_fd - the memfd behind machine memory (offset = machine
 * address), or -1 before machine_setup; lets tests read machine memory
 * without going through any mapping.
 */
SMM_API int smm_posix_machine_fd(const struct smm_platform *p);

#ifdef __cplusplus
}
#endif

#endif
