/* SPDX-License-Identifier: MIT */
/* scheme_choice.c - analyze's choice of scheme on virtual address space (scheme_choice.h). */
#include "scheme_choice.h"

#include <string.h>

static const char *const conversion_names[SMM_PDX_SCHEME_COUNT] = {
    [SMM_PDX_NONE] = "identity",
    [SMM_PDX_MASK] = "masks+shift",
    [SMM_PDX_OFFSET] = "1 table load",
    [SMM_PDX_DENSE] = "2 table loads",
};

bool scheme_is_xen(enum smm_pdx_scheme s)
{
    return s == SMM_PDX_NONE || s == SMM_PDX_MASK || s == SMM_PDX_OFFSET;
}

void scheme_va_of(const struct smm_pdx_info *p, const struct smm_fit *f, struct scheme_va *out)
{
    unsigned s = p->requested < SMM_PDX_SCHEME_COUNT ? p->requested : SMM_PDX_NONE;
    *out = (struct scheme_va){
        .pdx_limit = f->pdx_limit,
        .headroom_pdxs = f->fits && f->pdx_limit > p->max_pdx ? f->pdx_limit - p->max_pdx : 0,
        .conversion = s,
        .conversion_name = conversion_names[s],
    };
    for (uint64_t h = out->headroom_pdxs + 1; h > 1; h >>= 1)
        out->headroom_log2++;
}

enum smm_pdx_scheme scheme_choose(const struct smm_fit *fit, const struct scheme_va *va,
                                  unsigned n)
{
    unsigned best = 0;
    for (unsigned s = 1; s < n; s++) {
        bool better = fit[s].fits != fit[best].fits
                          ? fit[s].fits
                          : va[s].headroom_log2 != va[best].headroom_log2
                                ? va[s].headroom_log2 > va[best].headroom_log2
                                : va[s].conversion < va[best].conversion;
        if (better)
            best = s;
    }
    return best;
}

void scheme_layout_for_arch(const char *arch, bool layout_given, struct smm_layout *l)
{
    if (!layout_given && !strcmp(arch, "arm"))
        *l = *smm_layout_profile(SMM_LAYOUT_XEN_ARM64);
}
