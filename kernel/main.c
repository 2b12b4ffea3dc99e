/* SPDX-License-Identifier: MIT */
/*
 * main.c - kmain: console, IDT, RAM discovery, frame allocator, page
 * tables, the platform, then the tests; the tally "N passed, N failed" and
 * the isa-debug-exit status (pass only when nothing failed, no frame leaked
 * and no fault was left unexplained).
 */
#include "kernel.h"

static uint64_t passed, failed;
static char cmdline_buf[512]; /* copy of the multiboot command line */

_Noreturn void kexit(bool pass)
{
    outl(0xf4, pass ? EXIT_PASS : EXIT_FAIL);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* The tally, and the end of the run. */
_Noreturn void finish(void)
{
    kprintf("%lu passed, %lu failed\n", passed, failed);
    kexit(failed == 0);
}

_Noreturn void fail_run(void)
{
    failed++;
    finish();
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

/* Is flag one of the space-separated words of the command line? */
bool cmdline_has(const char *flag)
{
    size_t n = 0;
    while (flag[n])
        n++;
    for (const char *s = cmdline_buf; *s;) {
        while (*s == ' ')
            s++;
        size_t w = 0;
        while (s[w] && s[w] != ' ')
            w++;
        if (w == n && memcmp(s, flag, n) == 0)
            return true;
        s += w;
    }
    return false;
}

static void copy_cmdline(const uint8_t *mbi)
{
    uint32_t flags = *(const uint32_t *)mbi;
    if (!(flags & (1u << 2)))
        return;
    const char *s = (const char *)(uintptr_t) * (const uint32_t *)(mbi + 16);
    for (size_t i = 0; i + 1 < sizeof(cmdline_buf) && s[i]; i++)
        cmdline_buf[i] = s[i];
}

void kmain(uint32_t magic, uint32_t info);

void kmain(uint32_t magic, uint32_t info)
{
    static struct smm_platform plat;
    console_init();
    trap_init();
    if (magic == 0x2BADB002)
        copy_cmdline((const uint8_t *)(uintptr_t)info);
    kprintf("sparsemm ring0 kernel: command line \"%s\"\n", cmdline_buf);
    if (!check(magic == 0x2BADB002, "not booted by a multiboot loader (eax %x)", magic))
        finish();
    kprintf("ram: what this machine has\n");
    if (!check(ram_discover(info) == 0, "no RAM found"))
        finish();
    frame_init();
    pt_init();
    ring0_platform_init(&plat);
    if (cmdline_has("break=stray-read")) { /* an access no fixup covers: the run must fail */
        kprintf("BROKEN ON PURPOSE: reading an unmapped address without a probe\n");
        (void)*(volatile uint64_t *)(uintptr_t)0xffff900000000000ull;
    }
    uint64_t base_frames = frame_used(), base_faults = last_fault.count;

    test_tables(&plat);
    test_p2m(&plat);

    check(frame_used() == base_frames, "%lu frames still allocated at the end",
          frame_used() - base_frames);
    check(plat.stats.reserved == 0 && plat.stats.committed == 0,
          "platform: %lu bytes reserved, %lu committed at the end", plat.stats.reserved,
          plat.stats.committed);
    kprintf("expected faults recovered: %lu; allocator peak %lu frames (%lu KiB)\n",
            last_fault.count - base_faults, frame_peak(), frame_peak() * 4);
    finish();
}
