/* SPDX-License-Identifier: MIT */
/*
 * ram.c - the RAM the kernel finds by itself, checked against the host's map.
 *
 *   boot RAM   the multiboot memory map (type 1 entries), which QEMU's option
 *              ROM takes from the firmware's E820: it shows boot RAM only
 *   DIMMs      QEMU's ACPI memory-hotplug registers at I/O port 0xa00: write a
 *              slot number at +0, read base (+0, +4), size (+8, +0xc), node
 *              (+0x10) and status (+0x14, bit 0: a DIMM is plugged).  Without
 *              hot-plug slots no device answers there and every read is all
 *              ones; a slot number past the last reads as an empty slot.
 *   host map   the fw_cfg file opt/sparsemm/ram (plain format: "START END"
 *              in hex, end exclusive, '#' comments), the RAM the host gave
 *              the machine: boot RAM as one range from 0, each DIMM exactly.
 *
 * The check: every DIMM equals a host range; every discovered range lies
 * inside a host range; inside the boot range the firmware keeps at most
 * 2 MiB for itself (the legacy VGA/BIOS hole and SeaBIOS's tables).
 */
#include "kernel.h"

#define HOTPLUG_PORT 0xa00
#define HOTPLUG_SLOTS_MAX 256
#define FWCFG_SEL 0x510
#define FWCFG_DATA 0x511
#define FWCFG_FILE_DIR 0x19
#define HOST_MAP_NAME "opt/sparsemm/ram"
#define FIRMWARE_KEEPS_MAX 512 /* frames of boot RAM the firmware may keep */

struct ram_map ram;
static struct ram_map host;
static uint64_t dimms;

uint64_t ram_frames(const struct ram_map *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->r[i].end - m->r[i].start;
    return n;
}

/*
 * Insert frames [s, e) keeping the map sorted and disjoint; a range that
 * touches a neighbour is merged with it.  False when [s, e) overlaps a range
 * already there (RAM reported twice) or the map is full.
 */
static bool map_add(struct ram_map *m, uint64_t s, uint64_t e)
{
    if (s >= e)
        return true;
    size_t i = 0;
    while (i < m->n && m->r[i].end < s)
        i++;
    if (i < m->n && m->r[i].start < e && s < m->r[i].end)
        return false;
    if (i < m->n && m->r[i].end == s) { /* extends r[i]; maybe meets r[i + 1] */
        m->r[i].end = e;
        if (i + 1 < m->n && m->r[i + 1].start == e) {
            m->r[i].end = m->r[i + 1].end;
            for (size_t k = i + 1; k + 1 < m->n; k++)
                m->r[k] = m->r[k + 1];
            m->n--;
        }
        return true;
    }
    if (i < m->n && m->r[i].start == e) {
        m->r[i].start = s;
        return true;
    }
    if (m->n == RAM_MAX)
        return false;
    for (size_t k = m->n; k > i; k--)
        m->r[k] = m->r[k - 1];
    m->r[i] = (struct smm_frame_range){s, e};
    m->n++;
    return true;
}

static void multiboot_ram(const uint8_t *mbi)
{
    uint32_t flags = *(const uint32_t *)mbi;
    if (!check(flags & (1u << 6), "multiboot info has no memory map (flags %x)", flags))
        return;
    uint32_t len = *(const uint32_t *)(mbi + 44), addr = *(const uint32_t *)(mbi + 48);
    for (uint32_t off = 0; off + 24 <= len;) {
        const uint8_t *e = (const uint8_t *)(uintptr_t)(addr + off);
        uint32_t sz = *(const uint32_t *)e;
        uint64_t b = *(const uint64_t *)(e + 4), l = *(const uint64_t *)(e + 12);
        uint32_t type = *(const uint32_t *)(e + 20);
        kprintf("  multiboot  %016lx-%016lx %s\n", b, b + l, type == 1 ? "RAM" : "reserved");
        if (type == 1)
            check(
                map_add(&ram, (b + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT, (b + l) >> SMM_PAGE_SHIFT),
                "multiboot RAM %lx-%lx overlaps or does not fit", b, b + l);
        off += sz + 4;
    }
}

static void hotplug_ram(void)
{
    for (uint32_t s = 0; s < HOTPLUG_SLOTS_MAX; s++) {
        outl(HOTPLUG_PORT, s);
        uint64_t base = inl(HOTPLUG_PORT) | (uint64_t)inl(HOTPLUG_PORT + 4) << 32;
        uint64_t size = inl(HOTPLUG_PORT + 8) | (uint64_t)inl(HOTPLUG_PORT + 12) << 32;
        uint32_t node = inl(HOTPLUG_PORT + 0x10);
        uint8_t status = inb(HOTPLUG_PORT + 0x14);
        if (base == ~UINT64_C(0) && size == ~UINT64_C(0)) { /* no hot-plug device */
            kprintf("  hotplug    no memory hot-plug registers\n");
            return;
        }
        if (!(status & 1))
            continue;
        kprintf("  hotplug    slot %u: %016lx-%016lx node %u\n", s, base, base + size, node);
        check(size != 0 && (base | size) % SMM_PAGE_SIZE == 0 && base + size > base,
              "hot-plug slot %u: bad range %lx+%lx", s, base, size);
        check(map_add(&ram, base >> SMM_PAGE_SHIFT, (base + size) >> SMM_PAGE_SHIFT),
              "hot-plug slot %u overlaps other RAM", s);
        dimms++;
    }
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void fwcfg_read(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = inb(FWCFG_DATA);
}

static uint64_t parse_hex(const char **s)
{
    uint64_t v = 0;
    if ((*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X'))
        *s += 2;
    for (;; (*s)++) {
        char c = **s;
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return v;
        v = v << 4 | d;
    }
}

/* Read opt/sparsemm/ram into host; false when the host passed none. */
static bool host_map(void)
{
    static char text[4096];
    uint8_t hdr[4];
    outw(FWCFG_SEL, FWCFG_FILE_DIR);
    fwcfg_read(hdr, 4);
    uint32_t count = be32(hdr), size = 0;
    uint16_t sel = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[64];
        fwcfg_read(e, sizeof(e));
        const char *name = (const char *)e + 8;
        if (memcmp(name, HOST_MAP_NAME, sizeof(HOST_MAP_NAME)) == 0) {
            size = be32(e);
            sel = (uint16_t)(e[4] << 8 | e[5]);
        }
    }
    if (!check(sel != 0 && size < sizeof(text), "fw_cfg file %s missing or over %zu bytes",
               HOST_MAP_NAME, sizeof(text)))
        return false;
    outw(FWCFG_SEL, sel);
    fwcfg_read(text, size);
    text[size] = 0;
    unsigned line = 1;
    for (const char *s = text; *s;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '#' && *s != '\n' && *s) {
            const char *p0 = s;
            uint64_t a = parse_hex(&s);
            while (*s == ' ' || *s == '\t')
                s++;
            uint64_t b = parse_hex(&s);
            check(s != p0 && a < b && (a | b) % SMM_PAGE_SIZE == 0 &&
                      map_add(&host, a >> SMM_PAGE_SHIFT, b >> SMM_PAGE_SHIFT),
                  "%s:%u: not a RAM range", HOST_MAP_NAME, line);
        }
        while (*s && *s != '\n')
            s++;
        if (*s == '\n')
            s++, line++;
    }
    return true;
}

static void compare(void)
{
    uint64_t host_frames = ram_frames(&host);
    kprintf("  host map   %zu ranges, %lu frames; discovered %zu ranges, %lu frames, %lu DIMMs\n",
            host.n, host_frames, ram.n, ram_frames(&ram), dimms);
    for (size_t i = 0; i < ram.n; i++) {
        size_t k = 0;
        while (k < host.n && host.r[k].end <= ram.r[i].start)
            k++;
        check(k < host.n && host.r[k].start <= ram.r[i].start && ram.r[i].end <= host.r[k].end,
              "discovered RAM frames %lx-%lx are not in the host's map", ram.r[i].start,
              ram.r[i].end);
    }
    for (size_t k = 0; k < host.n; k++) {
        uint64_t covered = 0;
        for (size_t i = 0; i < ram.n; i++) {
            uint64_t s = ram.r[i].start > host.r[k].start ? ram.r[i].start : host.r[k].start;
            uint64_t e = ram.r[i].end < host.r[k].end ? ram.r[i].end : host.r[k].end;
            covered += e > s ? e - s : 0;
        }
        uint64_t want = host.r[k].end - host.r[k].start;
        bool boot = host.r[k].start == 0;
        check(boot ? want - covered <= FIRMWARE_KEEPS_MAX : covered == want,
              "host RAM frames %lx-%lx: %lu of %lu frames discovered", host.r[k].start,
              host.r[k].end, covered, want);
    }
}

int ram_discover(uint32_t mb_info)
{
    multiboot_ram((const uint8_t *)(uintptr_t)mb_info);
    hotplug_ram();
    if (host_map())
        compare();
    return ram.n > 0 ? 0 : -SMM_EEMPTY;
}
