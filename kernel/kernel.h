/* SPDX-License-Identifier: MIT */
/*
 * kernel.h - what the ring-0 test kernel's files share: port I/O, the serial
 * console, the fault probes, the frame allocator, page tables, discovered
 * RAM and the test bookkeeping.
 */
#ifndef SMM_KERNEL_H
#define SMM_KERNEL_H

#include <sparsemm/memmap.h>
#include <sparsemm/platform.h>

#include <stdarg.h>

/* libc.c: the only C library functions the kernel and the core use. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* ---- port I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* ---- console.c: COM1 and a small printf (%s %c %d %u %x %p, l/ll/z, width, 0, -) ---- */
void console_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Format into buf (always terminated; output past len - 1 is dropped). */
void ksnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- main.c: the end of a run (isa-debug-exit) and the test tally ---- */
#define EXIT_PASS 0x10 /* QEMU exits with (0x10 << 1) | 1 = 33 */
#define EXIT_FAIL 0x11 /* 35 */
_Noreturn void kexit(bool pass);
_Noreturn void finish(void);   /* print "N passed, N failed" and exit accordingly */
_Noreturn void fail_run(void); /* count one failure, then finish() */
/* Count one check; print what failed when it did.  Returns ok. */
bool check(bool ok, const char *what, ...) __attribute__((format(printf, 2, 3)));
bool cmdline_has(const char *flag); /* a word of the multiboot command line */

/* ---- trap.c: IDT, exceptions, the fixup table ---- */
struct fault_record {
    uint64_t count; /* expected (fixed-up) faults so far */
    uint64_t addr;  /* CR2 of the last one */
    uint64_t err;   /* its error code: bit 0 present, 1 write, 3 reserved bit */
};
extern struct fault_record last_fault;
void trap_init(void);
int probe_read64(const void *addr, uint64_t *out);
int probe_write64(void *addr, uint64_t v);
int probe_rw64(void *addr);
/* One check: a probe of addr (read, or write when write) faults at addr with err_bits. */
void expect_fault(void *addr, bool write, uint64_t err_bits, const char *what);
#define PF_PRESENT 1u
#define PF_WRITE 2u
#define PF_RSVD 8u

/* ---- ram.c: RAM the kernel finds itself, and the host's map ---- */
#define RAM_MAX 64
struct ram_map {
    struct smm_frame_range r[RAM_MAX]; /* frames, sorted, disjoint */
    size_t n;
};
extern struct ram_map ram; /* discovered: multiboot map + hot-plug registers */
int ram_discover(uint32_t mb_info);
uint64_t ram_frames(const struct ram_map *m);

/* ---- frame.c: the boot frame allocator ---- */
void frame_init(void);
int frame_alloc(uint64_t *pa); /* one zeroed 4 KiB frame, or -SMM_ENOMEM */
void frame_free(uint64_t pa);
uint64_t frame_used(void); /* frames handed out and not freed */
uint64_t frame_peak(void); /* most frames out at once */
bool frame_is_free(uint64_t pa);
void frame_fail_at(uint64_t nth); /* the nth allocation from now fails (0: none) */

/* ---- pt.c: page tables ---- */
#define PTE_P (UINT64_C(1) << 0)
#define PTE_W (UINT64_C(1) << 1)
#define PTE_PS (UINT64_C(1) << 7)
#define PTE_NX (UINT64_C(1) << 63)
#define PTE_ADDR UINT64_C(0x000ffffffffff000)
void pt_init(void);
int pt_va_reserve(uint64_t len, uint64_t *va);                /* whole 512 GiB slots */
void pt_va_release(uint64_t va, uint64_t len);                /* unmap, free, give the slots back */
int pt_map_machine(uint64_t va, uint64_t pa, uint64_t len);   /* greedy 1G/2M/4K leaves */
int pt_populate(uint64_t va, uint64_t len);                   /* fresh zeroed owned frames */
int pt_map_shared(uint64_t va, uint64_t len, uint64_t frame); /* frame read-only, shared tables */
int pt_share_prepare(uint64_t frame); /* build frame's shared tables now (else on first use) */
void pt_share_drop(uint64_t frame);   /* free them: nothing may map them any more */
int pt_protect(uint64_t va, uint64_t len, uint64_t leaf_flags); /* PTE_P | PTE_W wanted */
void pt_unmap(uint64_t va, uint64_t len);
uint64_t *pt_lookup(uint64_t va, unsigned *level); /* the entry mapping va, or NULL */
/* n[0..2]: private L1, L2, L3 table pages under [va, va + len); n[3]: owned frames */
void pt_count(uint64_t va, uint64_t len, uint64_t n[4]);
void *phys_window(uint64_t pa); /* a scratch 4 KiB mapping of pa */

/* ---- platform_ring0.c ---- */
void ring0_platform_init(struct smm_platform *p);
/* Frames under one live reservation, measured by walking its page tables. */
struct ring0_usage {
    uint64_t data;      /* frames populate() put there (owned leaves) */
    uint64_t tables[3]; /* its private L1, L2, L3 page-table pages */
};
int ring0_usage(const void *reservation, struct ring0_usage *out);
uint64_t ring0_pa_limit(void); /* 1 << the CPU's physical-address bits */
/* share_zero with a frame of the caller's choosing (test_p2m.c's shared pages). */
int ring0_share_frame(struct smm_platform *p, void *addr, size_t len, uint64_t frame);

/* ---- the tests ---- */
void test_tables(struct smm_platform *plat);
void test_p2m(struct smm_platform *plat);

#endif
