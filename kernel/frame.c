/* SPDX-License-Identifier: MIT */
/*
 * frame.c - the boot frame allocator: one bit per 4 KiB frame of the RAM
 * the kernel discovered below 4 GiB (identity mapped by boot.S, so a frame
 * can be zeroed where it is), minus the kernel image and what QEMU put after
 * it (command line, multiboot information: the first 2 MiB past _end).
 * DIMMs above 4 GiB are described by the tables but not drawn from.
 * Every frame handed out is zeroed; frame_used() is what the tests measure.
 */
#include "kernel.h"

#define POOL_LIMIT_FRAMES (UINT64_C(1) << 20) /* 4 GiB */

extern char _end[];
static uint64_t bits[POOL_LIMIT_FRAMES / 64]; /* 1: not available */
static uint64_t lo, hi, next, used, peak, total;
static uint64_t fail_at; /* allocations until one is refused; 0: none is */

void frame_init(void)
{
    for (uint64_t i = 0; i < POOL_LIMIT_FRAMES / 64; i++)
        bits[i] = ~UINT64_C(0);
    lo = (((uint64_t)(uintptr_t)_end + (UINT64_C(4) << 20)) & ~((UINT64_C(2) << 20) - 1)) >>
         SMM_PAGE_SHIFT;
    for (size_t i = 0; i < ram.n; i++) {
        uint64_t s = ram.r[i].start > lo ? ram.r[i].start : lo;
        uint64_t e = ram.r[i].end < POOL_LIMIT_FRAMES ? ram.r[i].end : POOL_LIMIT_FRAMES;
        for (uint64_t f = s; f < e; f++) {
            bits[f / 64] &= ~(UINT64_C(1) << (f % 64));
            total++;
            hi = f + 1;
        }
    }
    next = lo;
    kprintf("  allocator  %lu frames (%lu MiB) in %lx-%lx\n", total, total >> 8,
            lo << SMM_PAGE_SHIFT, hi << SMM_PAGE_SHIFT);
}

void frame_fail_at(uint64_t nth)
{
    fail_at = nth;
}

int frame_alloc(uint64_t *pa)
{
    if (fail_at != 0 && --fail_at == 0)
        return -SMM_ENOMEM;
    for (uint64_t n = 0; n < hi - lo; n++, next++) {
        if (next >= hi)
            next = lo;
        if (bits[next / 64] == ~UINT64_C(0)) {
            next |= 63;
            continue;
        }
        if (bits[next / 64] & (UINT64_C(1) << (next % 64)))
            continue;
        bits[next / 64] |= UINT64_C(1) << (next % 64);
        used++;
        peak = used > peak ? used : peak;
        *pa = next << SMM_PAGE_SHIFT;
        memset((void *)(uintptr_t)*pa, 0, SMM_PAGE_SIZE);
        next++;
        return 0;
    }
    return -SMM_ENOMEM;
}

void frame_free(uint64_t pa)
{
    uint64_t f = pa >> SMM_PAGE_SHIFT;
    if (f < lo || f >= hi || !(bits[f / 64] & (UINT64_C(1) << (f % 64)))) {
        kprintf("frame_free: %lx was not allocated\n", pa);
        fail_run();
    }
    bits[f / 64] &= ~(UINT64_C(1) << (f % 64));
    used--;
}

bool frame_is_free(uint64_t pa)
{
    uint64_t f = pa >> SMM_PAGE_SHIFT;
    return f >= lo && f < hi && !(bits[f / 64] & (UINT64_C(1) << (f % 64)));
}

uint64_t frame_used(void)
{
    return used;
}

uint64_t frame_peak(void)
{
    return peak;
}
