// MARK: - Allocation counter
//
// Interposes the C allocation entry points for the whole process. Because the
// benchmark executable is linked with --export-dynamic, the dynamic linker
// binds every shared library's (libswiftCore, Foundation, ...) calls to
// `malloc` & co. to these definitions. Each one bumps relaxed atomic counters
// and forwards to glibc's internal implementation (`__libc_malloc` etc.), so
// no dlsym bootstrapping is needed.

#define _GNU_SOURCE
#include "CMallocCounter.h"
#include <stddef.h>
#include <errno.h>
#include <stdio.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void  __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static uint64_t g_allocs;
static uint64_t g_bytes;
static uint64_t g_frees;
/// Counting is switched on only for allocation-measuring rounds, so timed
/// rounds pay one predictable load per call, not three atomic RMWs.
static int g_enabled;

static inline void count_alloc(size_t size) {
    if (!__atomic_load_n(&g_enabled, __ATOMIC_RELAXED)) return;
    __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_bytes, (uint64_t)size, __ATOMIC_RELAXED);
}

cmc_counters cmc_read(void) {
    cmc_counters c;
    c.allocations = __atomic_load_n(&g_allocs, __ATOMIC_RELAXED);
    c.bytes = __atomic_load_n(&g_bytes, __ATOMIC_RELAXED);
    c.frees = __atomic_load_n(&g_frees, __ATOMIC_RELAXED);
    return c;
}

void cmc_set_enabled(int enabled) { __atomic_store_n(&g_enabled, enabled, __ATOMIC_SEQ_CST); }

static inline void count_free(void) {
    if (!__atomic_load_n(&g_enabled, __ATOMIC_RELAXED)) return;
    __atomic_fetch_add(&g_frees, 1, __ATOMIC_RELAXED);
}

// MARK: - Interposed entry points

void *malloc(size_t size) {
    void *p = __libc_malloc(size);
    if (p) count_alloc(size);
    return p;
}

void *calloc(size_t n, size_t size) {
    void *p = __libc_calloc(n, size);
    if (p) count_alloc(n * size);
    return p;
}

void *realloc(void *ptr, size_t size) {
    void *p = __libc_realloc(ptr, size);
    if (ptr == NULL) {
        if (p) count_alloc(size);
    } else if (size == 0) {
        count_free();
    } else if (p) {
        // A resize counts as an allocation of the new size (and, implicitly,
        // a free of the old block).
        count_alloc(size);
        count_free();
    }
    return p;
}

void free(void *ptr) {
    if (ptr) count_free();
    __libc_free(ptr);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    count_alloc(size);
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    void *p = __libc_memalign(alignment, size);
    if (p) count_alloc(size);
    return p;
}

void *memalign(size_t alignment, size_t size) {
    void *p = __libc_memalign(alignment, size);
    if (p) count_alloc(size);
    return p;
}

// MARK: - Misc

void cmc_flush_stdout(void) { fflush(stdout); }
