/* SPDX-License-Identifier: MIT */
/*
 * fuzz_machine.c - the machine loader and Xen's verdict under fuzz: the
 * input is split at NUL bytes into up to four sources of one machine
 * (io/machine.h), the first byte choosing the architecture (or detection)
 * and the --online classes; then Xen's decision (io/xen_verdict.h).  Beyond
 * "no crash, no leak, no UB" it checks what they promise:
 *   - a source that fails leaves nothing behind and says "source:...";
 *   - a finished machine has a normalized map with RAM, RAM ranges sorted
 *     with their origin inside the sources read, special ranges valid;
 *   - onlining classes never loses RAM;
 *   - the verdict: a compressing one names Xen's boot line, every check
 *     of a range is answered, agrees is -1, 0 or 1.
 */
#include "fuzz.h"

#include <sparsemm/io/machine.h>
#include <sparsemm/io/xen_verdict.h>

#include <string.h>

static void check_machine(const struct smm_machine *m)
{
    FUZZ_ASSERT(m->map.nr > 0 && smm_memmap_ram_bytes(&m->map) > 0);
    for (size_t i = 1; i < m->map.nr; i++)
        FUZZ_ASSERT(m->map.ranges[i - 1].end <= m->map.ranges[i].start);
    for (size_t i = 0; i < m->ram.n; i++) {
        FUZZ_ASSERT(m->ram.v[i].start < m->ram.v[i].end);
        FUZZ_ASSERT(m->ram.v[i].file < m->nr_files);
        FUZZ_ASSERT(i == 0 || m->ram.v[i - 1].start <= m->ram.v[i].start);
    }
    for (size_t i = 0; i < m->special.n; i++)
        FUZZ_ASSERT(m->special.v[i].start < m->special.v[i].end);
    FUZZ_ASSERT(m->arch != SMM_ARCH_UNKNOWN && m->arch_from);
}

static void check_verdict(const struct smm_machine *m, const struct smm_xen_verdict *v)
{
    FUZZ_ASSERT(!v->compresses || v->boot_line[0]);
    FUZZ_ASSERT(v->reason[0]);
    FUZZ_ASSERT(v->agrees >= -1 && v->agrees <= 1);
    FUZZ_ASSERT(v->agrees == -1 || m->xen.seen);
    for (size_t i = 0; i < v->nr_checks; i++)
        FUZZ_ASSERT(v->checks[i].indexable == (v->checks[i].why == NULL));
    FUZZ_ASSERT(v->max_pdx != 0 || v->max_page == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum smm_arch arch = (enum smm_arch)(data[0] & 3);
    unsigned online = (data[0] & 4 ? SMM_MF_HOTPLUG : 0) | (data[0] & 8 ? SMM_MF_CXL : 0);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    struct smm_machine *m = NULL;
    struct smm_diag d = {0};
    if (smm_machine_create(&m) != 0)
        return 0;
    for (int k = 0; k < 4 && p <= end; k++) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
        size_t before = m->all.n, files = m->nr_files;
        char name[8] = {'s', (char)('0' + k), 0};
        smm_diag_clear(&d);
        int rc = smm_machine_add_buffer(m, p, len, name, SMM_FMT_AUTO, &d);
        if (rc) {
            FUZZ_ASSERT(rc < 0 && d.code == rc && d.msg[0] == 's');
            FUZZ_ASSERT(m->all.n == before && m->nr_files == files);
        }
        if (!z)
            break;
        p = z + 1;
    }
    smm_diag_clear(&d);
    if (m->nr_files && smm_machine_finish(m, arch, &d) == 0) {
        check_machine(m);
        uint64_t ram = smm_memmap_ram_bytes(&m->map);
        struct smm_xen_options o;
        smm_xen_options_default(&o);
        struct smm_xen_verdict *v = NULL;
        if (smm_xen_verdict_create(m, &o, &v) == 0) {
            check_verdict(m, v);
            smm_xen_verdict_destroy(v);
        }
        if (online && smm_machine_online(m, online, &d) == 0) {
            check_machine(m);
            FUZZ_ASSERT(smm_memmap_ram_bytes(&m->map) >= ram);
        }
    }
    smm_machine_destroy(m);
    return 0;
}
