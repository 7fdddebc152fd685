#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H

// System calls and variadic C functions that Swift's Glibc module does not
// offer.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sqlite3.h>

/// `sqlite3_config` is variadic, which Swift cannot call. Multi-thread mode:
/// no mutex around each call on a connection, which GRDB already uses from
/// one thread at a time; and no memory statistics, whose upkeep takes a
/// mutex on every allocation. Only takes effect before SQLite is first used
/// in the process; afterwards it returns SQLITE_MISUSE and changes nothing.
///
/// The statement journal (what a savepoint needs to roll back, written for
/// each page the first time a savepoint changes it) stays in memory up to
/// `statement_journal_bytes` and only then spills to a temporary file: with
/// 16 KiB pages the default of 64 KiB spilled after four pages, and a group
/// of small files, a savepoint each, wrote every page it touched to disk
/// once more.
static inline int csystem_sqlite_use_multithread_mode(int statement_journal_bytes) {
  int code = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
  if (code != SQLITE_OK) return code;
  code = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, statement_journal_bytes);
  if (code != SQLITE_OK) return code;
  // A sort (the held licenses' ORDER BY over every held deposit) keeps at
  // most the page cache's 2 MiB in memory before it spills, not 250 pages
  // (4 MiB with 16 KiB pages).
  code = sqlite3_config(SQLITE_CONFIG_PMASZ, 64);
  if (code != SQLITE_OK) return code;
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/// Starts writing a file's dirty pages in the given range to disk without
/// waiting for them (Linux `sync_file_range` with SYNC_FILE_RANGE_WRITE), so
/// that the fsync which makes the file durable later finds little left to do.
/// Not a durability guarantee in itself.
static inline int csystem_start_writeback(int fd, long long offset, long long count) {
  return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
}

#endif
