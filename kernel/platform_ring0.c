/* SPDX-License-Identifier: MIT */
/*
 * platform_ring0.c - include/sparsemm/platform.h over real page tables.
 *
 *   reserve       whole 512 GiB PML4 slots (pt.c); no entries: any access
 *                 faults not-present
 *   populate      fresh zeroed frames from the boot allocator, 4 KiB PTEs
 *   share_zero    one zero frame, read-only, through shared page tables
 *                 (reads return 0, writes fault with present|write);
 *                 ring0_share_frame does the same with a frame the caller
 *                 chose (what Linux's P2M needs and the contract lacks)
 *   protect       PTE present/writable bits
 *   release       everything under the reservation back to the allocator
 *   machine_setup the machine memory is the real RAM: nothing to create;
 *                 refuses spans past the CPU's physical-address width
 *   machine_map   the real frames at their physical addresses (1 GiB /
 *                 2 MiB / 4 KiB leaves, greedy)
 *
 * stats.committed counts owned frames exactly: before a call replaces part
 * of a reservation the owned frames there are counted by walking the tables.
 */
#include "kernel.h"

#define RES_MAX 128

struct reservation {
    uint64_t va, len;
};

static struct reservation res[RES_MAX];
static uint64_t zero_frame, machine_span, pa_limit;

static struct reservation *find(uint64_t va, uint64_t len)
{
    for (unsigned i = 0; i < RES_MAX; i++)
        if (res[i].len && va >= res[i].va && va + len <= res[i].va + res[i].len && va + len > va)
            return &res[i];
    return NULL;
}

static bool aligned(uint64_t va, uint64_t len)
{
    return len > 0 && (va | len) % SMM_PAGE_SIZE == 0;
}

/* Owned frames in [va, va + len): what a replacing call gives back. */
static uint64_t owned(uint64_t va, uint64_t len)
{
    uint64_t n[4];
    pt_count(va, len, n);
    return n[3];
}

static int enter(struct smm_platform *p, void *addr, size_t len, uint64_t *was)
{
    p->stats.calls++;
    uint64_t va = (uint64_t)(uintptr_t)addr;
    if (!aligned(va, len) || !find(va, len))
        return -SMM_EINVAL;
    *was = owned(va, len);
    return 0;
}

static void settle(struct smm_platform *p, void *addr, size_t len, uint64_t was)
{
    uint64_t now = owned((uint64_t)(uintptr_t)addr, len);
    p->stats.committed = p->stats.committed - was * SMM_PAGE_SIZE + now * SMM_PAGE_SIZE;
    if (p->stats.committed > p->stats.peak_commit)
        p->stats.peak_commit = p->stats.committed;
}

static int r0_reserve(struct smm_platform *p, size_t len, void **out)
{
    p->stats.calls++;
    if (len == 0 || len % SMM_PAGE_SIZE != 0)
        return -SMM_EINVAL;
    for (unsigned i = 0; i < RES_MAX; i++) {
        if (res[i].len)
            continue;
        uint64_t va;
        int rc = pt_va_reserve(len, &va);
        if (rc != 0)
            return rc;
        res[i] = (struct reservation){va, len};
        p->stats.reserved += len;
        *out = (void *)(uintptr_t)va;
        return 0;
    }
    return -SMM_ENOMEM; /* a kernel table limit, not memory: RES_MAX reservations */
}

static int r0_populate(struct smm_platform *p, void *addr, size_t len)
{
    uint64_t was;
    int rc = enter(p, addr, len, &was);
    if (rc == 0)
        rc = pt_populate((uint64_t)(uintptr_t)addr, len);
    if (rc != -SMM_EINVAL)
        settle(p, addr, len, was);
    return rc;
}

int ring0_share_frame(struct smm_platform *p, void *addr, size_t len, uint64_t frame)
{
    uint64_t was;
    int rc = enter(p, addr, len, &was);
    if (rc == 0)
        rc = pt_map_shared((uint64_t)(uintptr_t)addr, len, frame);
    if (rc != -SMM_EINVAL)
        settle(p, addr, len, was);
    return rc;
}

static int r0_share_zero(struct smm_platform *p, void *addr, size_t len)
{
    return ring0_share_frame(p, addr, len, zero_frame);
}

static int r0_protect(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot)
{
    uint64_t was;
    int rc = enter(p, addr, len, &was);
    if (rc != 0)
        return rc;
    uint64_t flags = prot == SMM_PROT_RW ? PTE_P | PTE_W : prot == SMM_PROT_READ ? PTE_P : 0;
    return pt_protect((uint64_t)(uintptr_t)addr, len, flags);
}

static int r0_release(struct smm_platform *p, void *addr, size_t len)
{
    p->stats.calls++;
    uint64_t va = (uint64_t)(uintptr_t)addr;
    for (unsigned i = 0; i < RES_MAX; i++) {
        if (res[i].va != va || res[i].len != len || !len)
            continue;
        p->stats.committed -= owned(va, len) * SMM_PAGE_SIZE;
        pt_va_release(va, len);
        p->stats.reserved -= len;
        res[i] = (struct reservation){0, 0};
        return 0;
    }
    return -SMM_EINVAL;
}

static int r0_machine_setup(struct smm_platform *p, uint64_t span)
{
    p->stats.calls++;
    if (span == 0 || span % SMM_PAGE_SIZE != 0)
        return -SMM_EINVAL;
    if (span > pa_limit)
        return -SMM_ERANGE;
    if (span > machine_span)
        machine_span = span;
    return 0;
}

static int r0_machine_map(struct smm_platform *p, void *addr, uint64_t maddr, size_t len)
{
    if (maddr % SMM_PAGE_SIZE != 0)
        return -SMM_EINVAL;
    if (maddr > machine_span || len > machine_span - maddr)
        return -SMM_ERANGE;
    uint64_t was;
    int rc = enter(p, addr, len, &was);
    if (rc == 0)
        rc = pt_map_machine((uint64_t)(uintptr_t)addr, maddr, len);
    if (rc != -SMM_EINVAL)
        settle(p, addr, len, was);
    return rc;
}

int ring0_usage(const void *reservation, struct ring0_usage *out)
{
    uint64_t va = (uint64_t)(uintptr_t)reservation;
    struct reservation *r = find(va, SMM_PAGE_SIZE);
    if (!r || r->va != va)
        return -SMM_EINVAL;
    uint64_t n[4];
    pt_count(r->va, r->len, n);
    *out = (struct ring0_usage){.data = n[3], .tables = {n[0], n[1], n[2]}};
    return 0;
}

void ring0_platform_init(struct smm_platform *p)
{
    uint32_t eax, ebx, ecx, edx;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000008u));
    pa_limit = UINT64_C(1) << (eax & 0xff);
    if (frame_alloc(&zero_frame) != 0 || pt_share_prepare(zero_frame) != 0) {
        kprintf("no frame for the zero page\n");
        fail_run();
    }
    *p = (struct smm_platform){
        .page_size = SMM_PAGE_SIZE,
        .reserve = r0_reserve,
        .populate = r0_populate,
        .share_zero = r0_share_zero,
        .protect = r0_protect,
        .release = r0_release,
        .machine_setup = r0_machine_setup,
        .machine_map = r0_machine_map,
    };
}

uint64_t ring0_pa_limit(void)
{
    return pa_limit;
}
