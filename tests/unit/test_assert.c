/* SPDX-License-Identifier: MIT */
/*
 * test_assert.c - SMM_ASSERT's levels and the failure hook.  Built three
 * times (SMM_ASSERT_LEVEL 0, 1, 2) with its own smm_assert_fail, which the
 * linker takes instead of the library's (the embedder's way to replace the
 * hook): level 0 checks nothing and evaluates nothing, level 1 the cheap
 * assertions, level 2 the expensive ones too; a failure reports the
 * condition, this file and the line.
 * With the argument "fail" it instead fails one assertion through the
 * library's own hook (built as assert_fail_hosted / assert_fail_core;
 * tests/unit/assert_hook.cmake checks what that does).
 */
#include <sparsemm/sparsemm.h>

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#ifdef SMM_TEST_OWN_HOOK
static jmp_buf back;
static const char *got_file, *got_expr;
static unsigned got_line;

void smm_assert_fail(const char *file, unsigned line, const char *expr)
{
    got_file = file;
    got_line = line;
    got_expr = expr;
    longjmp(back, 1);
}

/* Whether SMM_ASSERT(++*n == 42) fired; *line: the assertion's line. */
static bool cheap_fires(volatile int *n, unsigned *line)
{
    if (setjmp(back))
        return true;
    *line = __LINE__ + 1;
    SMM_ASSERT(++*n == 42);
    return false;
}

static bool expensive_fires(volatile int *n)
{
    if (setjmp(back))
        return true;
    SMM_ASSERT_EXPENSIVE(++*n == 42);
    return false;
}

static bool true_fires(volatile int *n)
{
    if (setjmp(back))
        return true;
    SMM_ASSERT(*n >= 0);
    SMM_ASSERT_EXPENSIVE(*n >= 0);
    return false;
}

static int failures;
static void expect(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "test_assert (level %d): %s\n", SMM_ASSERT_LEVEL, what);
        failures++;
    }
}

int main(void)
{
    volatile int evaluated = 0;
    unsigned line = 0;
    bool cheap = cheap_fires(&evaluated, &line);
    expect(cheap == (SMM_ASSERT_LEVEL >= 1), "SMM_ASSERT fires from level 1 on");
    expect(evaluated == (SMM_ASSERT_LEVEL >= 1), "the condition is evaluated only when checked");
    if (cheap)
        expect(strcmp(got_expr, "++*n == 42") == 0 && got_line == line &&
                   strstr(got_file, "test_assert.c") != NULL,
               "the hook gets the condition, file and line");
    bool expensive = expensive_fires(&evaluated);
    expect(expensive == (SMM_ASSERT_LEVEL >= 2), "SMM_ASSERT_EXPENSIVE fires at level 2");
    expect(!true_fires(&evaluated), "a true assertion does not fire");
    printf("level %d: cheap %s, expensive %s\n", SMM_ASSERT_LEVEL, cheap ? "fired" : "off",
           expensive ? "fired" : "off");
    return failures ? 1 : 0;
}
#else
int main(int argc, char **argv)
{
    SMM_ASSERT(argc < 2 || strcmp(argv[1], "fail") != 0);
    printf("no assertion failed\n");
    return 0;
}
#endif
