#ifndef CSQLITECONFIG_SHIM_H
#define CSQLITECONFIG_SHIM_H

#include <sqlite3.h>

/// `sqlite3_config` is variadic, which Swift cannot call. Multi-thread mode:
/// no mutex around each call on a connection, which GRDB already uses from
/// one thread at a time; and no memory statistics, whose upkeep takes a
/// mutex on every allocation. Only takes effect before SQLite is first used
/// in the process; afterwards it returns SQLITE_MISUSE and changes nothing.
static inline int csqliteconfig_use_multithread_mode(void) {
  int code = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
  if (code != SQLITE_OK) return code;
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
