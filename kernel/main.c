/* SPDX-License-Identifier: MIT */
/*
 * main.c - kmain: console, IDT, RAM discovery, frame allocator, page
 * tables, then the tests; the tally and the isa-debug-exit status.
 */
#include "kernel.h"

static uint64_t passed, failed;
static char cmdline_buf[512];
const char *kernel_cmdline = cmdline_buf;

_Noreturn void kexit(bool pass)
{
    outl(0xf4, pass ? EXIT_PASS : EXIT_FAIL);
    for (;;)
        __asm__ volatile("cli; hlt");
}

bool check(bool ok, const char *what, ...)
{
    if (ok) {
        passed++;
        return true;
    }
    failed++;
    va_list ap;
    va_start(ap, what);
    kprintf("FAIL: ");
    kvprintf(what, ap);
    kprintf("\n");
    va_end(ap);
    return false;
}

void kmain(uint32_t magic, uint32_t info);

void kmain(uint32_t magic, uint32_t info)
{
    console_init();
    trap_init();
    kprintf("sparsemm ring0: magic %x info %x\n", magic, info);
    uint64_t v;
    int rc = probe_read64((void *)0xffff800000000000ull, &v);
    check(rc == -1 && last_fault.addr == 0xffff800000000000ull, "probe");
    kprintf("%lu passed, %lu failed\n", passed, failed);
    kexit(failed == 0);
}
