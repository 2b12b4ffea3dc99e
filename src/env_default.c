/* SPDX-License-Identifier: MIT */
/*
 * env_default.c - the out-of-line half of the default <sparsemm/env.h>:
 * smm_assert_fail for the core on its own (libsparsemm-core, or a build
 * from src/core-sources.txt), where nothing can be printed: it traps.
 * The hosted library links its own, which prints (platform/posix/
 * assert_posix.c).  An embedder replaces it by defining smm_assert_fail
 * (this file is alone in its archive member, so the linker takes theirs),
 * or by mapping SMM_ASSERT_FAIL elsewhere in its own env.h; with an env
 * that has no smm_assert_fail this file compiles to nothing.
 */
#include <sparsemm/sparsemm.h>

#ifdef SMM_ENV_ASSERT_HOOK
void smm_assert_fail(const char *file, unsigned line, const char *expr)
{
    (void)file;
    (void)line;
    (void)expr;
    __builtin_trap();
}
#else
typedef int smm_env_default_unused_;
#endif
