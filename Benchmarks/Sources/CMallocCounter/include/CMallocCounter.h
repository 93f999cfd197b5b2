#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

#include <stdint.h>

/// Snapshot of the process-wide allocation counters maintained by the
/// interposed `malloc` family in CMallocCounter.c.
typedef struct {
    /// Number of successful allocating calls (malloc, calloc, posix_memalign,
    /// aligned_alloc, memalign, and realloc of a NULL pointer or to a new size).
    uint64_t allocations;
    /// Bytes requested by those calls (the requested size, not the usable size).
    uint64_t bytes;
    /// Number of `free` calls with a non-NULL pointer.
    uint64_t frees;
} cmc_counters;

/// Reads the current counter values (relaxed atomics; call from a quiescent point).
cmc_counters cmc_read(void);

/// Switches counting on (non-zero) or off. Counters only advance while on.
void cmc_set_enabled(int enabled);

/// Flushes C stdout (Swift's `print` writes through it), so progress lines
/// show up promptly when output is piped. Not allocation related; lives here
/// to avoid a second C target.
void cmc_flush_stdout(void);

#endif
