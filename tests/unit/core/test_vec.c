/* tests/unit/core/test_vec.c - core/vec.h: growth keeps every element, in order, on the
 * heap and in an arena; capacities double from 16; reserve honours larger requests; an
 * impossible size aborts instead of wrapping (issue 7: one growth rule instead of copies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/vec.h"

struct pair {
    int64_t a;
    char tag[13]; /* an odd size: element arithmetic must use sizeof */
};

static void
test_heap_room(void **state)
{
    struct pair *items = NULL;
    size_t n = 0, cap = 0;
    (void)state;
    for (int i = 0; i < 1000; i++) {
        VEC_ROOM(items, n, cap);
        assert_true(cap > n);
        items[n] = (struct pair){ .a = i };
        items[n].tag[12] = (char)(i & 0x7f);
        n++;
        if (n == 1)
            assert_int_equal(cap, 16);
    }
    assert_int_equal(cap, 1024);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(items[i].a, i);
        assert_int_equal(items[i].tag[12], (char)(i & 0x7f));
    }
    xfree(items);
}

static void
test_reserve(void **state)
{
    int *v = NULL;
    size_t cap = 0;
    (void)state;
    VEC_RESERVE(v, 0, cap);
    assert_null(v);
    assert_int_equal(cap, 0);
    VEC_RESERVE(v, 100, cap); /* more than double: exactly what was asked */
    assert_int_equal(cap, 100);
    v[99] = 7;
    VEC_RESERVE(v, 101, cap); /* doubling beats the request */
    assert_int_equal(cap, 200);
    assert_int_equal(v[99], 7);
    VEC_RESERVE(v, 150, cap); /* enough room: unchanged */
    assert_int_equal(cap, 200);
    xfree(v);
}

static void
test_typed_vec(void **state)
{
    VEC(const char *) names = VEC_INIT;
    (void)state;
    for (int i = 0; i < 40; i++)
        vec_push(&names, i % 2 ? "odd" : "even");
    assert_int_equal(names.n, 40);
    assert_int_equal(names.cap, 64);
    assert_string_equal(names.v[0], "even");
    assert_string_equal(names.v[39], "odd");
    vec_release(&names);
    assert_null(names.v);
    assert_int_equal(names.n, 0);
    assert_int_equal(names.cap, 0);
    vec_release(&names); /* twice is fine */
}

static void
test_arena_room(void **state)
{
    struct arena arena = ARENA_INIT;
    int64_t *items = NULL, *first;
    size_t n = 0, cap = 0;
    (void)state;
    VEC_ARENA_ROOM(&arena, items, n, cap);
    first = items;
    for (int64_t i = 0; i < 5000; i++) {
        VEC_ARENA_ROOM(&arena, items, n, cap);
        items[n++] = i * 3;
    }
    assert_true(items != first);
    assert_int_equal(cap, 8192);
    for (int64_t i = 0; i < 5000; i++)
        assert_int_equal(items[i], i * 3);
    arena_release(&arena);
}

/* A capacity whose size in bytes overflows aborts the process (like out of memory). */
static void
test_overflow_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY); /* the allocator's fatal line is expected */
        if (fd >= 0)
            dup2(fd, 2);
        int64_t *v = NULL;
        size_t cap = SIZE_MAX / 4; /* doubles to SIZE_MAX / 2 elements: bytes overflow */
        VEC_ROOM(v, cap, cap);
        v[0] = 1;
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* abort, or ASan's exit */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_room),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_typed_vec),
        cmocka_unit_test(test_arena_room),
        cmocka_unit_test(test_overflow_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
