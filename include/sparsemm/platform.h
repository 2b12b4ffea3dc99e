/* SPDX-License-Identifier: MIT */
/*
 * platform.h - the porting contract between the freestanding core and the
 * environment that owns virtual memory.
 *
 * The core never calls mmap, malloc or a kernel allocator itself.  It asks
 * the platform for five things, the same primitives a hypervisor's page
 * table code provides:
 *
 *   reserve     claim len bytes of virtual address space; nothing committed,
 *               any access faults until populated
 *   populate    back a page-aligned sub-range with fresh zeroed memory (RW)
 *   share_zero  map one shared zero page read-only over a sub-range: reads
 *               return 0, writes fault; commits nothing
 *   protect     make a populated sub-range read-only or inaccessible
 *   release     give a whole reservation back (undoes everything inside)
 *
 * Preconditions, checked by the POSIX implementation and returned as
 * -SMM_EINVAL: addresses and lengths page-aligned (page_size), sub-ranges
 * inside a live reservation.  Failures are returned, never aborted on:
 * -SMM_ENOMEM when memory is refused, -SMM_EMAPLIMIT when a limit on the
 * number of mappings is (a kernel's vm.max_map_count), -SMM_EFAULT for
 * anything else.
 *
 * Each populate or share_zero may cost the environment a mapping of its
 * own (a VMA in Linux), and kernels cap their number.  Tables that are
 * populated in many small scattered pieces (the guest P2M's leaves) use
 * the optional demand-zero primitives instead (all three NULL when a
 * platform has none; callers then fall back to the five above):
 *
 *   reserve_zero  claim len bytes that read as zero and may be written
 *                 (one read-write mapping; reads never commit memory,
 *                 however the environment's huge pages are set up)
 *   commit        back the pages of a sub-range in place, contents kept
 *                 (pages never committed read 0); no new mapping
 *   discard       give the committed pages of a sub-range back in place;
 *                 they read 0 again
 *
 * Inside a demand-zero reservation, write only pages you committed: a
 * write to another page is not trapped (the price of having no mapping
 * per piece) and commits memory behind the accounting's back.  protect
 * works there too, where a stray-write trap is worth a mapping; populate
 * and share_zero do not (-SMM_EINVAL), nor commit and discard outside one.
 *
 * Capabilities are data, not #ifdefs: page_size, whether the platform can
 * share a zero page, whether it has demand-zero reservations.  Every call
 * accounts the bytes it commits (commit counts only pages not committed
 * before, discard only those that were), so the core's tables can be
 * measured against the overhead model.  A platform may be called from
 * several threads at once (the POSIX one locks its bookkeeping); the
 * stats are then exact whenever no call is in progress.
 *
 * Modelled machine memory (optional: both pointers NULL when a platform has
 * none).  The host's RAM is one sparse object whose byte offset is the
 * machine address; only pages that are written cost memory:
 *
 *   machine_setup  make machine addresses [0, span) exist (grow only)
 *   machine_map    map machine range [maddr, maddr + len) read-write at addr,
 *                  inside a reservation, replacing what was there; two
 *                  mappings of one maddr see the same bytes
 *
 *      machine   0 [RAM a]...hole...[RAM b]......hole......[RAM c] span
 *                       |                 |                     |
 *      reservation     [RAM a][RAM b][RAM c]    (e.g. a direct map)
 *
 * Mapping machine memory commits nothing (it is the machine's RAM, not
 * bookkeeping); replacing populated pages gives their bytes back.
 * machine_map returns -SMM_ERANGE when the range reaches past the span.
 */
#ifndef SPARSEMM_PLATFORM_H
#define SPARSEMM_PLATFORM_H

#include <sparsemm/sparsemm.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smm_prot {
    SMM_PROT_NONE = 0,
    SMM_PROT_READ = 1,
    SMM_PROT_RW = 3,
};

struct smm_platform_stats {
    uint64_t committed;    /* bytes currently populated (fresh memory) */
    uint64_t reserved;     /* bytes of address space currently reserved */
    uint64_t peak_commit;  /* high-water mark of committed */
    uint64_t calls;        /* number of primitive calls made */
};

struct smm_platform {
    void *ctx;
    size_t page_size;
    int (*reserve)(struct smm_platform *p, size_t len, void **out);
    int (*populate)(struct smm_platform *p, void *addr, size_t len);
    int (*share_zero)(struct smm_platform *p, void *addr, size_t len);
    int (*protect)(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot);
    int (*release)(struct smm_platform *p, void *addr, size_t len);
    struct smm_platform_stats stats;
    int (*machine_setup)(struct smm_platform *p, uint64_t span);
    int (*machine_map)(struct smm_platform *p, void *addr, uint64_t maddr, size_t len);
    int (*reserve_zero)(struct smm_platform *p, size_t len, void **out);
    int (*commit)(struct smm_platform *p, void *addr, size_t len);
    int (*discard)(struct smm_platform *p, void *addr, size_t len);
};

#ifdef __cplusplus
}
#endif

#endif
