/* mem.h - the memory a run may use, checked before the work starts. */
#ifndef ANISO_MEM_H
#define ANISO_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"

/* The bytes this process can still allocate: /proc/meminfo's MemAvailable,
 * or its cgroup's headroom when smaller (v2: memory.max - memory.current,
 * v1: memory.limit_in_bytes - memory.usage_in_bytes, the inactive page cache
 * not counted as used; of its own cgroup and those above it); 0 when
 * neither is known. */
uint64_t mem_available(void);

/* "3.2 GiB", "12.5 MiB", "800 KiB", "512 bytes" into buf (cap bytes): three
 * digits at most, one decimal below 100. */
const char *mem_str(uint64_t bytes, char *buf, size_t cap);

/* Whether `need` bytes fit the limit: limit when it is not 0, else the
 * memory available (nothing is refused when that is unknown). On failure
 * ANISO_NO_MEMORY with "WHAT needs about N (DETAIL); M is available
 * (--max-memory to change the limit)"; detail may be NULL. */
aniso_status mem_check(const char *what, uint64_t need, const char *detail, uint64_t limit,
                       aniso_error *err);

#endif
