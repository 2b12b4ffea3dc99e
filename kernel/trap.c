/* SPDX-License-Identifier: MIT */
/*
 * trap.c - the IDT and what happens on an exception.
 *
 * A page fault whose instruction has an entry in the fixup table (section
 * "fixup", built by boot.S's probes) is expected: the handler records CR2 and
 * the error code in last_fault, counts it and resumes at the fixup address,
 * where the probe returns -1.  Any other exception is unexpected: the handler
 * prints vector, RIP, CR2 and error code and ends the run as failed.
 */
#include "kernel.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, err, rip, cs, rflags, rsp, ss;
};

struct idt_entry {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};

struct fixup {
    uint64_t insn, resume;
};

extern const struct fixup __fixup_start[], __fixup_end[];
struct fault_record last_fault;
static struct idt_entry idt[32];

void trap(struct trap_frame *f);

void trap(struct trap_frame *f)
{
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    if (f->vector == 14) {
        for (const struct fixup *x = __fixup_start; x < __fixup_end; x++) {
            if (x->insn != f->rip)
                continue;
            last_fault.count++;
            last_fault.addr = cr2;
            last_fault.err = f->err;
            f->rip = x->resume;
            return;
        }
    }
    kprintf("\nUNEXPECTED EXCEPTION vector %lu at rip %016lx: cr2 %016lx err %lx\n", f->vector,
            f->rip, cr2, f->err);
    fail_run();
}

/* boot.S: one entry stub per vector 0..21 */
extern char isr0[], isr1[], isr2[], isr3[], isr4[], isr5[], isr6[], isr7[], isr8[], isr9[], isr10[],
    isr11[], isr12[], isr13[], isr14[], isr15[], isr16[], isr17[], isr18[], isr19[], isr20[],
    isr21[];

void trap_init(void)
{
    char *stubs[] = {isr0,  isr1,  isr2,  isr3,  isr4,  isr5,  isr6,  isr7,  isr8,  isr9,  isr10,
                     isr11, isr12, isr13, isr14, isr15, isr16, isr17, isr18, isr19, isr20, isr21};
    for (unsigned v = 0; v < sizeof(stubs) / sizeof(stubs[0]); v++) {
        uint64_t a = (uint64_t)(uintptr_t)stubs[v];
        idt[v] = (struct idt_entry){.off0 = (uint16_t)a,
                                    .sel = 0x08,
                                    .type = 0x8E,
                                    .off1 = (uint16_t)(a >> 16),
                                    .off2 = (uint32_t)(a >> 32)};
    }
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } ptr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(ptr));
}

/* Probe that addr faults with exactly this address and these error bits. */
void expect_fault(void *addr, bool write, uint64_t err_bits, const char *what)
{
    uint64_t before = last_fault.count, v = 0;
    /* QEMU 7.2's TCG reports a reserved-bit fault without the present bit */
    uint64_t err_mask = err_bits & PF_RSVD ? PF_RSVD | PF_WRITE : PF_PRESENT | PF_WRITE | PF_RSVD;
    int rc = write ? probe_write64(addr, 0x5a5a5a5a5a5a5a5aull) : probe_read64(addr, &v);
    bool ok = rc == -1 && last_fault.count == before + 1 &&
              last_fault.addr == (uint64_t)(uintptr_t)addr &&
              (last_fault.err & err_mask) == err_bits;
    check(ok, "%s: %s %p: rc %d, fault at %lx err %lx (want err %lx)", what,
          write ? "write" : "read", addr, rc, last_fault.addr, last_fault.err, err_bits);
}
