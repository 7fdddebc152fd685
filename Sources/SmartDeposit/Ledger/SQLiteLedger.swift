import CSmartDepositSystem
import Foundation
import GRDB
import GRDBSQLite

/// The embedded ledger: one SQLite file, through GRDB.
///
/// Journal and durability: WAL with `synchronous = FULL`. WAL lets readers
/// (`balances`, `reconcile`) run beside a run; FULL makes every commit fsync
/// the WAL, so a file's deposits that the run reported as committed survive a
/// power loss. NORMAL would keep the database consistent but could lose the
/// last commits, and a file already moved to the archive would then be lost.
///
/// A new ledger's first load is the exception: until its first order file
/// (or group of files) commits, it keeps SQLite's rollback journal, with
/// `synchronous = EXTRA` (the journal's removal synced too, so that a power
/// loss just after the commit cannot roll it back). Appending to an empty
/// database journals almost nothing, and the pages go to the database file
/// once; through the WAL each went twice, the second time in the checkpoint
/// that ends the run (a 1M-line file: 190 MB written again, after its
/// commit). Readers opened meanwhile wait for that commit, up to the busy
/// timeout (then fail: the database is locked), instead of reading beside
/// it: the ledger has nothing to show them yet.
public final class SQLiteLedger: Ledger {
  public let path: String
  public var location: String { path }
  /// One run at a time, under a lock file beside the ledger.
  public var coordination: RunCoordination { .hostLock(path: path + ".lock") }
  /// In-process calls cost nothing: batches stay small, and so does memory.
  /// 1,024 makes two batches per queue, about as many lines as an XML
  /// chunk yields per batch, so that XML's lines in flight stay bounded.
  public var batchSize: Int { 1024 }
  private let queue: DatabaseQueue
  private let dryRun: Bool
  /// A new ledger still on its rollback journal (see the type's note).
  private var loadingFresh: Bool
  /// Whether a group commit is open (used by the run's thread only).
  private var groupOpen = false

  /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
  ///
  /// With `dryRun`, every change is made inside one transaction that
  /// `close()` rolls back, so a dry run sees its own deposits but leaves the
  /// ledger as it found it.
  public init(path: String, dryRun: Bool = false) throws {
    _ = Self.threadingMode
    self.path = path
    self.dryRun = dryRun
    var configuration = Configuration()
    let fresh = !dryRun && !FileManager.default.fileExists(atPath: path)
    loadingFresh = fresh
    configuration.journalMode = fresh ? .default : .wal
    configuration.busyMode = .timeout(10)
    // A dry run's transaction, and a group commit's, stay open across calls.
    configuration.allowsUnsafeTransactions = true
    configuration.prepareDatabase { db in
      // 16 KiB pages (set before the file is first written; ignored after)
      // halve the system calls of a bulk load against the 4 KiB default.
      try db.execute(sql: "PRAGMA page_size = 16384")
    }
    do {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      queue = try DatabaseQueue(path: path, configuration: configuration)
      // GRDB's WAL set-up, which runs after `prepareDatabase`, sets
      // `synchronous = NORMAL`: a commit would then reach the disk only at
      // the next checkpoint, after its file had been archived. Set again here.
      try queue.writeWithoutTransaction { try $0.execute(sql: Self.synchronousSQL(rollbackJournal: fresh)) }
      try LedgerSchema.migrator.migrate(queue)
      if dryRun {
        try queue.writeWithoutTransaction { try $0.beginTransaction(.immediate) }
      }
    } catch {
      throw Self.wrap(error, path: path, operation: "opening the ledger")
    }
  }

  /// SQLite in multi-thread mode without memory statistics, set once before
  /// the first connection: each connection is used by one thread at a time
  /// (GRDB serializes its use), so the per-call mutex of the default
  /// serialized mode, about 20 lock pairs per deposited line, only cost time.
  /// A savepoint's journal stays in memory up to 1 MiB (64 pages): a small
  /// file in a group commit fits; a larger one, and a dry run's, spills to a
  /// temporary file as before. Writing each page a small file touched to a
  /// temporary file was 42,000 writes of a run over 2,000 small files.
  /// SQLite allocates the in-memory journal in chunks of this size: 8 MiB
  /// cost 2 MiB of peak RSS on a 1M-line run for nothing.
  private static let threadingMode: Int32 = csystem_sqlite_use_multithread_mode(1 << 20)

  /// A new ledger leaves its rollback journal for WAL once its first load
  /// has committed (or as it closes without one); a ledger opened again
  /// later is set to WAL as it opens.
  private func useWAL() {
    guard loadingFresh, !groupOpen else { return }
    loadingFresh = false
    try? queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA journal_mode = WAL")
      try db.execute(sql: Self.synchronousSQL(rollbackJournal: false))
    }
  }

  /// The durability of a commit: FULL syncs the WAL; on the rollback
  /// journal, EXTRA also syncs the journal's removal (see the type's note).
  private static func synchronousSQL(rollbackJournal: Bool) -> String {
    rollbackJournal ? "PRAGMA synchronous = EXTRA" : "PRAGMA synchronous = FULL"
  }

  /// Rolls back a group left open, and ends a dry run's transaction (rolling it back).
  public func close() {
    rollbackFileGroup()
    useWAL()
    guard dryRun else { return }
    try? queue.writeWithoutTransaction { db in
      if db.isInsideTransaction { try db.rollback() }
    }
  }

  static func wrap(_ error: Error, path: String, operation: String) -> Error {
    if error is LedgerError || error is IngestError { return error }
    if let database = error as? DatabaseError {
      return LedgerError(
        path: path, operation: operation,
        cause: "SQLite error \(database.resultCode.rawValue): \(database.message ?? "\(database)")")
    }
    return LedgerError(path: path, operation: operation, cause: "\(error)")
  }

  /// Runs a write: its own transaction normally, a savepoint inside the dry
  /// run's transaction or an open group otherwise.
  private func write<T>(
    _ operation: String, checkingForeignKeys: Bool = true, _ body: (Database) throws -> T
  ) throws -> T {
    do {
      return try queue.writeWithoutTransaction { db in
        // The pragma is a no-op inside a transaction (a dry run's, a
        // group's), and setting it expires every prepared statement: it is
        // set only where it changes something.
        let togglesForeignKeys = !checkingForeignKeys && !db.isInsideTransaction
        if togglesForeignKeys { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
        defer { if togglesForeignKeys { try? db.execute(sql: "PRAGMA foreign_keys = ON") } }
        var result: T?
        if dryRun || groupOpen {
          try db.inSavepoint {
            result = try body(db)
            return .commit
          }
        } else {
          try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
          }
        }
        guard let result else { throw LedgerError(path: path, operation: operation, cause: "no result") }
        return result
      }
    } catch {
      throw Self.wrap(error, path: path, operation: operation)
    }
  }

  func readOnly<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
    try read(operation, body)
  }

  private func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
    do {
      return try queue.writeWithoutTransaction { db in try body(db) }
    } catch {
      throw Self.wrap(error, path: path, operation: operation)
    }
  }

  /// Runs a raw SQL query for checks and tests (for example `PRAGMA integrity_check`).
  public func scalar(_ sql: String) throws -> String? {
    try read("query") { db in try String.fetchOne(db, sql: sql) }
  }

  // MARK: Registry

  public func registrySource() throws -> RegistrySource? {
    try read("reading the registry's source") { db in
      guard let row = try Row.fetchOne(db, sql: LedgerQueries.readRegistrySourceSQL) else { return nil }
      return LedgerQueries.registrySource(fingerprint: row[0], problems: row[1])
    }
  }

  public func syncRegistry(_ accounts: [SmartAccount], source: RegistrySource?) throws -> RegistrySyncResult {
    let now = Timestamp.now()
    return try write("syncing the registry") { db in
      try db.execute(sql: LedgerQueries.forgetRegistrySourceSQL)
      if let source {
        try db.execute(
          sql: LedgerQueries.recordRegistrySourceSQL(placeholder: { "?\($0)" }),
          arguments: [source.fingerprint, LedgerQueries.encodeProblems(source.problems), now])
      }
      var result = RegistrySyncResult()
      // What the ledger holds is read once and compared in memory: a registry
      // has thousands of accounts, and most nights none of them changed.
      var held: [String: (name: String, type: String, partner: String)] = [:]
      let rows = try Row.fetchCursor(db, sql: "SELECT smart_account, name, type, partner FROM accounts")
      while let row = try rows.next() { held[row[0]] = (row[1], row[2], row[3]) }
      var heldNames: [String: Set<String>] = [:]
      let names = try Row.fetchCursor(db, sql: "SELECT smart_account, name_key FROM virtual_accounts")
      while let row = try names.next() { heldNames[row[0], default: []].insert(row[1]) }
      let update = try db.cachedStatement(
        sql: "UPDATE accounts SET name = ?, type = ?, partner = ?, synced_at = ? WHERE smart_account = ?")
      let insert = try db.cachedStatement(
        sql: "INSERT INTO accounts(smart_account, name, type, partner, synced_at) VALUES (?, ?, ?, ?, ?)")
      let insertVirtualAccount = try db.cachedStatement(
        sql: "INSERT INTO virtual_accounts(smart_account, name_key, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
      for account in accounts {
        if let existing = held[account.identifier] {
          if existing.name != account.name || existing.type != account.type.rawValue
            || existing.partner != account.partner
          {
            update.setUncheckedArguments([
              account.name, account.type.rawValue, account.partner, now, account.identifier,
            ])
            try update.execute()
            result.accountsUpdated += 1
          }
        } else {
          insert.setUncheckedArguments([account.identifier, account.name, account.type.rawValue, account.partner, now])
          try insert.execute()
          result.accountsAdded += 1
        }
        // Kept up to date, so that an account listed twice is updated, not inserted again.
        held[account.identifier] = (account.name, account.type.rawValue, account.partner)
        for name in account.virtualAccounts {
          let key = name.lowercased()
          if heldNames[account.identifier]?.contains(key) == true { continue }
          insertVirtualAccount.setUncheckedArguments([account.identifier, key, name])
          try insertVirtualAccount.execute()
          result.virtualAccountsAdded += db.changesCount
          heldNames[account.identifier, default: []].insert(key)
        }
      }
      return result
    }
  }

  public func registry() throws -> Registry {
    try read("reading the registry") { db in
      // Cells are read in place (`SQLiteCursor`): decoding GRDB rows cost
      // more than the queries, on the path of every run's first file.
      var names: [String: [String]] = [:]
      let vas = SQLiteCursor(
        try db.makeStatement(sql: "SELECT smart_account, name FROM virtual_accounts ORDER BY smart_account, name_key"))
      // An account's VAs come one after the other: one insert per account.
      var account = ""
      var list: [String] = []
      while let row = try vas.next() {
        let identifier = try row.bytes(0)
        if !identifier.elementsEqual(account.utf8) {
          if !list.isEmpty { names[account] = list }
          account = String(decoding: identifier, as: UTF8.self)
          list = []
        }
        list.append(try row.string(1))
      }
      if !list.isEmpty { names[account] = list }
      var accounts: [SmartAccount] = []
      let accountRows = SQLiteCursor(
        try db.makeStatement(sql: "SELECT smart_account, name, type, partner FROM accounts"))
      while let row = try accountRows.next() {
        guard let type = AccountType(rawValue: try row.string(2)) else { continue }
        let identifier = try row.string(0)
        accounts.append(
          SmartAccount(
            identifier: identifier, name: try row.string(1), type: type, partner: try row.string(3),
            virtualAccounts: names[identifier] ?? []))
      }
      return Registry(accounts)
    }
  }

  // MARK: Runs

  /// Every run still shown as running died: the caller holds the run lock,
  /// so none of them is alive.
  public func startRun(_ run: RunStart) throws -> [RunRecord] {
    try write("starting the run") { db in
      let running = try String.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'running'")
        .map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
      // A died run keeps the counts of what it had committed.
      try db.execute(
        sql: "UPDATE runs SET status = 'died', \(LedgerQueries.diedRunCountsSQL) WHERE status = 'running'")
      let died = try Row.fetchAll(
        db, sql: "SELECT \(LedgerQueries.runColumns) FROM runs WHERE id IN (\(running)) ORDER BY started_at, rowid"
      ).map(Self.runRecord)
      try db.execute(
        sql: "INSERT INTO runs(id, started_at, status, pid, host) VALUES (?, ?, 'running', ?, ?)",
        arguments: [run.id, run.startedAt, run.pid, run.host])
      return died
    }
  }

  /// The run lock proves the run alive: no lease to renew.
  public func renewRun(id: String) throws {}
  public func leaseRenewal(runID: String) -> (@Sendable () throws -> Void)? { nil }

  /// The run lock gives every file to the one run: nothing to claim.
  public func claimFile(_ claim: FileClaim, runID: String) throws -> Bool { true }
  public func renewClaims(runID: String) throws {}
  public func releaseClaim(_ claim: FileClaim, runID: String) throws {}

  public func finishRun(id: String, finishedAt: String, exitCode: Int, status: RunStatus, summary: RunCounts) throws {
    try write("finishing the run") { db in
      let values: [any DatabaseValueConvertible] =
        [finishedAt, status.rawValue, exitCode, summary.cause, id] + summary.values
      try db.execute(
        sql: LedgerQueries.finishRunSQL(placeholder: { "?\($0)" }), arguments: StatementArguments(values))
    }
  }

  public func runs(limit: Int) throws -> [RunRecord] {
    try read("reading the run history") { db in
      try Row.fetchAll(
        db, sql: "SELECT \(LedgerQueries.runColumns) FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?",
        arguments: [limit]
      )
      .map(Self.runRecord)
    }
  }

  private static func runRecord(_ row: Row) -> RunRecord {
    RunRecord(
      id: row["id"], startedAt: row["started_at"], finishedAt: row["finished_at"],
      status: RunStatus(rawValue: row["status"]) ?? .failed, exitCode: row["exit_code"],
      counts: RunCounts(values: RunCounts.columns.map { row[$0] ?? 0 }, cause: row["cause"] ?? ""),
      host: row["host"] ?? "", pid: row["pid"])
  }

  // MARK: What a run saw, for its reports

  public func recordRunFiles(runID: String, _ entries: [RunFileEntry]) throws {
    guard !entries.isEmpty else { return }
    try write("recording the files of the run") { db in
      let statement = try db.cachedStatement(sql: LedgerQueries.insertRunFileSQL(placeholder: { "?\($0)" }))
      for entry in entries {
        try statement.execute(arguments: [
          runID, entry.name, entry.sha256, entry.format, entry.sender, entry.outcome.rawValue, entry.reason,
          entry.ageHours,
        ])
      }
    }
  }

  public func run(id: String) throws -> RunRecord? {
    try read("reading the run history") { db in
      try Row.fetchOne(db, sql: "SELECT \(LedgerQueries.runColumns) FROM runs WHERE id = ?", arguments: [id])
        .map(Self.runRecord)
    }
  }

  public func filesOfRun(id: String) throws -> [RunFileEntry] {
    try read("reading the files of run \(id)") { db in
      try Row.fetchAll(db, sql: LedgerQueries.runFilesSQL(placeholder: { "?\($0)" }), arguments: [id]).map {
        LedgerQueries.runFileEntry(
          name: $0[0], sha256: $0[1], format: $0[2], sender: $0[3], outcome: $0[4], reason: $0[5], lines: $0[6],
          rejected: $0[7], deposited: $0[8], ageHours: $0[9])
      }
    }
  }

  public func transfersOfRun(id: String) throws -> (applied: Int, quantity: Int) {
    try read("reading the transfers of run \(id)") { db in
      let row = try Row.fetchOne(db, sql: LedgerQueries.transfersOfRunSQL(placeholder: { "?\($0)" }), arguments: [id])
      return (row?[0] ?? 0, row?[1] ?? 0)
    }
  }

  // MARK: Files

  public func processedFile(sha256: String) throws -> ProcessedFile? {
    try read("looking up a file") { db in
      try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT id, sha256, name, run_id, disposition FROM files WHERE sha256 = ? AND outcome = 'processed'"),
        arguments: [sha256]
      ).map {
        ProcessedFile(
          id: $0["id"], sha256: $0["sha256"], name: $0["name"], runID: $0["run_id"],
          disposition: FileDisposition(rawValue: $0["disposition"]) ?? .pending)
      }
    }
  }

  public func hasProcessedFile(size: Int64) throws -> Bool {
    try read("looking up a file") { db in
      try Bool.fetchOne(
        db.cachedStatement(sql: LedgerQueries.knownSizeSQL(placeholder: { _ in "?1" })), arguments: [size]) ?? false
    }
  }

  public func quarantinedFile(sha256: String) throws -> QuarantinedFile? {
    try quarantined(sha256).first
  }

  public func quarantinedFiles() throws -> [QuarantinedFile] { try quarantined(nil) }

  private func quarantined(_ sha256: String?) throws -> [QuarantinedFile] {
    try read("reading the quarantine") { db in
      try Row.fetchAll(db, sql: LedgerQueries.quarantinedSQL(placeholder: { _ in "?1" }), arguments: [sha256]).map {
        QuarantinedFile(
          sha256: $0[0], name: $0[1], runID: $0[2], reason: $0[3], recordedAt: $0[4])
      }
    }
  }

  public func releaseQuarantine(sha256: String) throws {
    try write("releasing a quarantined file") { db in
      try db.execute(sql: LedgerQueries.releaseSQL(placeholder: { _ in "?" }), arguments: [sha256])
    }
  }

  public func setDisposition(fileID: Int64, disposition: FileDisposition) throws {
    try write("recording where a file was moved") { db in
      try db.cachedStatement(sql: "UPDATE files SET disposition = ? WHERE id = ?").execute(
        arguments: [disposition.rawValue, fileID])
    }
  }

  // MARK: Group commit

  /// A dry run is one transaction already: it does not group.
  public var groupsFiles: Bool { !dryRun }

  /// Foreign keys are not checked inside a group, as inside a file's
  /// transaction (see `inFileTransaction`): a group carries only files'
  /// transactions and the records of the files themselves, and the pragma
  /// cannot change inside a transaction.
  public func beginFileGroup() throws {
    guard groupsFiles, !groupOpen else { return }
    do {
      try queue.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA foreign_keys = OFF")
        do {
          try db.beginTransaction(.immediate)
        } catch {
          try? db.execute(sql: "PRAGMA foreign_keys = ON")
          throw error
        }
      }
    } catch {
      throw Self.wrap(error, path: path, operation: "starting a group of files")
    }
    groupOpen = true
  }

  public func commitFileGroup() throws {
    guard groupOpen else { return }
    groupOpen = false
    do {
      try queue.writeWithoutTransaction { db in
        defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
        do {
          try db.commit()
        } catch {
          if db.isInsideTransaction { try? db.rollback() }
          throw error
        }
      }
    } catch {
      throw Self.wrap(error, path: path, operation: "committing a group of files")
    }
    useWAL()
  }

  public func rollbackFileGroup() {
    guard groupOpen else { return }
    groupOpen = false
    try? queue.writeWithoutTransaction { db in
      if db.isInsideTransaction { try db.rollback() }
      try db.execute(sql: "PRAGMA foreign_keys = ON")
    }
  }

  public func recordQuarantine(_ file: FileRecord) throws {
    try write("recording a quarantined file") { db in
      _ = try Self.insertFile(file, db: db)
    }
  }

  static func insertFile(_ file: FileRecord, db: Database) throws -> Int64 {
    try db.cachedStatement(
      sql: """
        INSERT INTO files(sha256, name, format, sender, run_id, outcome, lines, rejected, reason, size, disposition,
          recorded_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(
      arguments: [
        file.sha256, file.name, file.format.rawValue, file.sender, file.runID, file.outcome.rawValue, file.lines,
        file.rejected, file.reason, file.size, file.disposition.rawValue, Timestamp.now(),
      ])
    return db.lastInsertedRowID
  }

  /// Foreign keys are not checked inside a file's transaction: its rows
  /// reference only the file record the same transaction inserts first,
  /// and the check was a lookup in `files` per deposited line, 12% of the
  /// insert's time (1M rows through the sqlite3 shell: 1.45 s with it,
  /// 1.27 s without).
  /// In-process, a batch costs no round trip: deposits always go batch by batch.
  public func inFileTransaction<T>(
    _ file: FileRecord, pacing: DepositPacing, _ body: (DepositSession) throws -> T
  ) throws -> T {
    let result = try write("depositing \(file.name)", checkingForeignKeys: false) { db in
      // Inside a savepoint (a group's file, a dry run) rows go in one by
      // one: SQLite 3.40 failed a multi-row statement there with "database
      // or disk is full" once the savepoint's journal had spilled to disk.
      let session = try SQLiteDepositSession(db: db, file: file, insertsRuns: !(dryRun || groupOpen))
      return try body(session)
    }
    useWAL()
    return result
  }

  public func totals(heldOverAgeBefore day: String) throws -> LedgerTotals {
    try read("adding up the ledger's totals") { db in
      var totals = LedgerTotals()
      if let row = try Row.fetchOne(db, sql: LedgerQueries.fileTotalsSQL(placeholder: { _ in "?" }), arguments: [day]) {
        totals.deposits = row[0]
        totals.held = row[1]
        totals.heldOverAge = row[2]
      }
      if let row = try Row.fetchOne(
        db, sql: LedgerQueries.transferTotalsSQL(placeholder: { _ in "?" }), arguments: [day])
      {
        totals.held -= row[0] as Int
        totals.heldOverAge -= row[1] as Int
      }
      totals.lastSuccess = try String.fetchOne(db, sql: LedgerQueries.lastSuccessSQL)
      return totals
    }
  }

  public func depositCount() throws -> Int {
    try read("counting deposits") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deposits") ?? 0 }
  }

  public func identityCollisions() throws -> [IdentityCollision] {
    try read("reading identity collisions") { db in
      try Row.fetchAll(db, sql: LedgerQueries.identityCollisionsSQL).map { row in
        func side(_ offset: Int) -> IdentityCollision.Side {
          IdentityCollision.Side(
            webOrderID: row[offset] ?? "", lineNumber: row[offset + 1] ?? "", sku: row[offset + 2] ?? "",
            quantity: row[offset + 3] ?? 0, smartAccount: row[offset + 4] ?? "", virtualAccount: row[offset + 5] ?? "",
            status: DepositStatus(rawValue: row[offset + 6] ?? "") ?? .available, file: row[offset + 7] ?? "",
            runID: row[offset + 8] ?? "")
        }
        return IdentityCollision(
          identity: LineIdentity(orderKey: row[0], lineKey: row[1]), kept: side(3), twin: side(12),
          twinNumber: row[2])
      }
    }
  }
}

/// One file's transaction.
///
/// The per-line insert binds its values straight through SQLite's C API:
/// building GRDB `StatementArguments` for every line cost about 11% of a CSV
/// bulk load's CPU (perf, 1M lines). Its statements are prepared once per
/// connection (GRDB's statement cache), not once per file: preparing them
/// again for every file, with GRDB's authorizer called per column, was 12% of
/// a run over 2,000 small files.
final class SQLiteDepositSession: DepositSession {
  private let db: Database
  private let insertStatement: Statement
  private var insert: OpaquePointer { insertStatement.sqliteStatement }
  /// Plain inserts of `rowsPerInsert[i]` rows each, for runs of rows that
  /// extend the table at its right edge (`greatestKey`): one statement step
  /// puts many new rows in. Empty when every row goes in alone. `OR FAIL`:
  /// such a run meets no key, and should a constraint ever refuse one of
  /// its rows, the error rolls back the whole file, so the statement keeps
  /// no journal of its own to undo its earlier rows (it kept a copy of
  /// every page it changed: 4% of the writing thread's instructions).
  private let insertRows: [Statement]
  /// The greatest key (order key, line key) the deposits table holds, or a
  /// row of this file went in with; nil while the table is empty. A run of
  /// rows whose keys all lie above it, in increasing order, can meet no row
  /// the ledger holds, and its statement changes only the pages along the
  /// table's right edge: its statement journal stays a few pages, far below
  /// the 1 MiB at which it would spill to disk. (SQLite 3.40 failed
  /// multi-row inserts with "database or disk is full" when the statement
  /// journal spilled, as it did for rows spread across a large table, or
  /// inside a group's savepoint.)
  private var greatestKey: (order: [UInt8], line: [UInt8])?
  private let findExisting: Statement
  private let insertReject: Statement
  let fileID: Int64
  private let runID: String

  init(db: Database, file: FileRecord, insertsRuns: Bool) throws {
    self.db = db
    fileID = try SQLiteLedger.insertFile(file, db: db)
    runID = file.runID
    insertStatement = try db.cachedStatement(
      sql: Self.insertSQL(rows: 1) + " ON CONFLICT(order_key, line_key, twin) DO NOTHING")
    insertRows =
      insertsRuns
      ? try Self.rowsPerInsert.map { try db.cachedStatement(sql: Self.insertSQL(rows: $0, verb: "INSERT OR FAIL")) }
      : []
    if insertsRuns,
      let row = try Row.fetchOne(
        db, sql: "SELECT order_key, line_key FROM deposits ORDER BY order_key DESC, line_key DESC LIMIT 1")
    {
      greatestKey = (Array((row[0] as String).utf8), Array((row[1] as String).utf8))
    }
    findExisting = try db.cachedStatement(
      sql: "SELECT \(Self.depositColumns) FROM deposits WHERE order_key = ? AND line_key = ? AND twin = 0")
    insertReject = try db.cachedStatement(
      sql: """
        INSERT INTO rejects(run_id, file_id, file, record, web_order_id, line_number, code, message, sku, quantity,
          smart_account, order_key, line_key, quantity_written, virtual_account, purchase_order, sales_order,
          end_customer, order_date)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
  }

  deinit {
    if let pagesDescriptor, pagesDescriptor >= 0 { close(pagesDescriptor) }
  }

  /// The file the transaction's pages go to, opened to start writing it
  /// back while the transaction goes on: a large file's commit otherwise
  /// waits for all of it to reach the disk at once. The WAL, or, on a new
  /// ledger's rollback journal, the database file itself. nil until first
  /// needed (a small file never needs it); -1 when it could not be opened
  /// (no harm done).
  private var pagesDescriptor: Int32?
  private var insertedSinceWriteback = 0

  /// Every 16,384 lines (about 3 MB of pages), starts writing back what the
  /// transaction wrote so far. Durability still comes from SQLite's fsync at commit.
  private func startWriteback() {
    insertedSinceWriteback = 0
    if pagesDescriptor == nil {
      pagesDescriptor =
        sqlite3_db_filename(db.sqliteConnection, "main").map { name -> Int32 in
          let path = String(cString: name)
          let wal = open(path + "-wal", O_RDONLY | O_CLOEXEC)
          return wal >= 0 ? wal : open(path, O_RDONLY | O_CLOEXEC)
        } ?? -1
    }
    if let pagesDescriptor, pagesDescriptor >= 0 { _ = csystem_start_writeback(pagesDescriptor, 0, 0) }
  }

  /// The columns a deposit is inserted with, in the order of its parameters.
  private static let insertColumns = """
    web_order_id, line_number, sku, quantity, license_type, term_months, start_date, smart_account, \
    virtual_account, status, source, file_id, record, sales_order, purchase_order, order_date, end_customer, \
    order_key, line_key
    """
  private static let parametersPerRow: Int32 = 19

  /// Rows per multi-row insert, largest first; a batch's last few rows go in one by one.
  /// Measured on the 1M-line CSV drop: one statement step per row re-opened
  /// the table's cursor and sought its place from the root for every row.
  static let rowsPerInsert = [64, 8]

  static func insertSQL(rows: Int, verb: String = "INSERT") -> String {
    let one = "(" + (1...Int(parametersPerRow)).map { _ in "?" }.joined(separator: ", ") + ")"
    return "\(verb) INTO deposits(\(insertColumns)) VALUES "
      + Array(repeating: one, count: rows).joined(separator: ", ")
  }

  /// Binds the fields of row `index` to the parameters of row `slot` of
  /// `statement`, where they lie in the batch's bytes: SQLite reads them in
  /// place (SQLITE_STATIC) while the statement steps, instead of copying
  /// each value. Every parameter is bound for every row, so no pointer of an
  /// earlier batch is ever read.
  private func bind(
    _ rows: DepositRows, _ index: Int, base: UnsafePointer<CChar>, to statement: OpaquePointer, slot: Int32
  ) {
    let row = rows.rows[index]
    let first = slot * Self.parametersPerRow
    func text(_ position: Int32, _ field: DepositField) {
      let range = DepositRows.range(field, in: row)
      sqlite3_bind_text(statement, first + position, base + range.lowerBound, Int32(range.count), nil)
    }
    text(1, .webOrderID)
    text(2, .lineNumber)
    text(3, .sku)
    sqlite3_bind_int64(statement, first + 4, Int64(row.quantity))
    text(5, .licenseType)
    if let months = row.termMonths {
      sqlite3_bind_int64(statement, first + 6, Int64(months))
    } else {
      sqlite3_bind_null(statement, first + 6)
    }
    if row.hasStartDate { text(7, .startDate) } else { sqlite3_bind_null(statement, first + 7) }
    text(8, .smartAccount)
    text(9, .virtualAccount)
    text(10, .status)
    text(11, .source)
    sqlite3_bind_int64(statement, first + 12, fileID)
    sqlite3_bind_int64(statement, first + 13, Int64(row.record))
    text(14, .salesOrder)
    text(15, .purchaseOrder)
    text(16, .orderDate)
    text(17, .endCustomer)
    text(18, .orderKey)
    text(19, .lineKey)
  }

  /// Deposits a batch: runs of rows that extend the table at its right
  /// edge in as few statement steps as the multi-row inserts allow; every
  /// other row alone, its outcome found by the key.
  func deposit(_ rows: DepositRows) throws -> [DepositOutcome] {
    var outcomes: [DepositOutcome] = []
    outcomes.reserveCapacity(rows.count)
    try rows.bytes.withUnsafeBytes { bytes in
      guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else {
        if rows.isEmpty { return }
        throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "empty batch", sql: "INSERT INTO deposits …")
      }
      func key(_ index: Int) -> (order: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer) {
        (
          UnsafeRawBufferPointer(rebasing: bytes[rows.range(.orderKey, at: index)]),
          UnsafeRawBufferPointer(rebasing: bytes[rows.range(.lineKey, at: index)])
        )
      }
      var index = 0
      while index < rows.count {
        if !insertRows.isEmpty {
          // The rows from `index` on that extend the right edge, in order.
          let run = withGreatestKey { greatest in
            var run = 0
            var last = greatest
            while run < Self.rowsPerInsert[0] && index + run < rows.count {
              let next = key(index + run)
              if let last, !Self.isAbove(next, last) { break }
              last = next
              run += 1
            }
            return run
          }
          if let which = Self.rowsPerInsert.firstIndex(where: { $0 <= run }) {
            let size = Self.rowsPerInsert[which]
            let statement = insertRows[which].sqliteStatement
            for slot in 0..<size { bind(rows, index + slot, base: base, to: statement, slot: Int32(slot)) }
            try execute(statement, "INSERT INTO deposits …")
            outcomes.append(contentsOf: repeatElement(.deposited, count: size))
            let last = key(index + size - 1)
            greatestKey = (Array(last.order), Array(last.line))
            index += size
            wroteRows(size)
            continue
          }
        }
        let outcome = try depositOne(rows, index, base: base)
        if case .deposited = outcome, !insertRows.isEmpty {
          let new = key(index)
          if withGreatestKey({ greatest in greatest.map { Self.isAbove(new, $0) } ?? true }) {
            greatestKey = (Array(new.order), Array(new.line))
          }
        }
        outcomes.append(outcome)
        index += 1
      }
    }
    return outcomes
  }

  /// `greatestKey`'s bytes, for as long as `body` runs.
  private func withGreatestKey<T>(
    _ body: ((order: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer)?) -> T
  ) -> T {
    guard let greatest = greatestKey else { return body(nil) }
    return greatest.order.withUnsafeBytes { order in greatest.line.withUnsafeBytes { line in body((order, line)) } }
  }

  /// Whether key `a` sorts after key `b` as the table orders them (its text
  /// columns compare as bytes, then by length: SQLite's BINARY collation).
  private static func isAbove(
    _ a: (order: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer),
    _ b: (order: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer)
  ) -> Bool {
    func compare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
      let common = min(x.count, y.count)
      if common > 0, let xs = x.baseAddress, let ys = y.baseAddress {
        let order = memcmp(xs, ys, common)
        if order != 0 { return Int(order) }
      }
      return x.count - y.count
    }
    let order = compare(a.order, b.order)
    return order != 0 ? order > 0 : compare(a.line, b.line) > 0
  }

  /// Deposits row `index` alone, and finds whether it was new, a duplicate,
  /// or in conflict with the row the ledger holds.
  private func depositOne(_ rows: DepositRows, _ index: Int, base: UnsafePointer<CChar>) throws -> DepositOutcome {
    let statement = insert
    bind(rows, index, base: base, to: statement, slot: 0)
    try execute(statement, "INSERT INTO deposits …")
    wroteRows(1)
    if sqlite3_changes(db.sqliteConnection) == 1 { return .deposited }
    let identity = LineIdentity(orderKey: rows.string(.orderKey, at: index), lineKey: rows.string(.lineKey, at: index))
    guard let stored = try storedDeposit(identity) else { return .deposited }
    return stored.hasSameContent(as: rows.deposit(at: index)) ? .duplicate : .conflicting(existing: stored)
  }

  /// Steps an insert once and resets it; throws SQLite's error, naming
  /// `sql`, when it did not run to its end.
  private func execute(_ statement: OpaquePointer, _ sql: String) throws {
    let code = sqlite3_step(statement)
    sqlite3_reset(statement)
    guard code == SQLITE_DONE else {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }
  }

  /// Counts rows written, and starts their pages' writeback every 16,384.
  private func wroteRows(_ count: Int) {
    insertedSinceWriteback += count
    if insertedSinceWriteback >= 16384 { startWriteback() }
  }

  func withdrawOrders(_ orderKeys: [String]) throws -> [Deposit] {
    let statement = try db.cachedStatement(
      sql: "DELETE FROM deposits WHERE order_key = ? AND file_id = ? RETURNING \(Self.depositColumns)")
    var withdrawn: [Deposit] = []
    for orderKey in orderKeys {
      try read(statement, [orderKey, fileID]) { withdrawn.append(try LedgerQueries.deposit($0)) }
    }
    return withdrawn.sorted { $0.record < $1.record }
  }

  /// Bound through the C API: a file with many bad lines records a reject
  /// per line, and building GRDB's arguments cost more than the insert.
  func recordRejects(_ rejects: [Reject]) throws {
    for reject in rejects { try recordReject(reject) }
  }

  private func recordReject(_ reject: Reject) throws {
    let statement = insertReject.sqliteStatement
    // SQLITE_TRANSIENT: SQLite copies each text before the call returns.
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    // The text's own UTF-8 bytes: passing a `String` as a C string made
    // and freed a copy of each of the 19 values first.
    func text(_ index: Int32, _ value: String) {
      var value = value
      value.withUTF8 { bytes in
        guard let start = bytes.baseAddress else {
          sqlite3_bind_text(statement, index, "", 0, transient)
          return
        }
        start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
          sqlite3_bind_text(statement, index, $0, Int32(bytes.count), transient)
        }
      }
    }
    text(1, runID)
    sqlite3_bind_int64(statement, 2, fileID)
    text(3, reject.file)
    sqlite3_bind_int64(statement, 4, Int64(reject.record))
    text(5, reject.webOrderID)
    text(6, reject.lineNumber)
    text(7, reject.code.rawValue)
    text(8, reject.message)
    text(9, reject.sku)
    if let quantity = reject.quantity {
      sqlite3_bind_int64(statement, 10, Int64(quantity))
    } else {
      sqlite3_bind_null(statement, 10)
    }
    let written = reject.written
    text(11, written.smartAccount)
    let identity = LineIdentity(webOrderID: reject.webOrderID, lineNumber: reject.lineNumber)
    text(12, identity.order)
    text(13, identity.line)
    text(14, written.quantity)
    text(15, written.virtualAccount)
    text(16, written.purchaseOrder)
    text(17, written.salesOrder)
    text(18, written.endCustomer)
    text(19, written.orderDate)
    try execute(statement, "INSERT INTO rejects …")
  }

  /// Looked up through rejects_identity (order key, line key): the unary
  /// `+` keeps the planner off rejects_by_file, which would scan every
  /// reject of the file per lookup.
  func rejectedOrders(among orderKeys: Set<String>) throws -> Set<String> {
    let statement = try db.cachedStatement(
      sql: "SELECT EXISTS (SELECT 1 FROM rejects WHERE order_key = ? AND +file_id = ?)")
    var found: Set<String> = []
    for key in orderKeys where try Bool.fetchOne(statement, arguments: [key, fileID]) == true {
      found.insert(key)
    }
    return found
  }

  func finish(_ totals: FileTotals, sha256: String) throws {
    try db.cachedStatement(
      sql: "UPDATE files SET lines = ?, rejected = ?, deposited = ?, held_quantity = ?, sha256 = ? WHERE id = ?"
    ).execute(
      arguments: [totals.lines, totals.rejected, totals.deposited, totals.heldQuantity, sha256, fileID])
  }

  func heldDeposit(_ identity: LineIdentity) throws -> (deposit: Deposit, remaining: Int)? {
    guard let deposit = try storedDeposit(identity) else { return nil }
    guard deposit.status == .held else { return (deposit, 0) }
    let moved =
      try Int.fetchOne(
        db, sql: "SELECT COALESCE(SUM(quantity), 0) FROM transfers WHERE order_key = ? AND line_key = ?",
        arguments: [identity.order, identity.line]) ?? 0
    return (deposit, deposit.quantity - moved)
  }

  func transfer(source: String, transferID: String) throws -> Transfer? {
    try Row.fetchOne(
      db, sql: "SELECT * FROM transfers WHERE source = ? AND transfer_id = ?", arguments: [source, transferID]
    ).map {
      Transfer(
        transferID: $0["transfer_id"], source: $0["source"], fromSmartAccount: $0["from_smart_account"],
        fromVirtualAccount: $0["from_virtual_account"], webOrderID: $0["web_order_id"], lineNumber: $0["line_number"],
        sku: $0["sku"], quantity: $0["quantity"], toSmartAccount: $0["to_smart_account"],
        toVirtualAccount: $0["to_virtual_account"], record: $0["record"])
    }
  }

  func applyTransfer(_ transfer: Transfer) throws {
    try db.execute(
      sql: """
        INSERT INTO transfers(transfer_id, source, from_smart_account, from_virtual_account, web_order_id, line_number,
          sku, quantity, to_smart_account, to_virtual_account, file_id, run_id, record, applied_at, order_key, line_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        transfer.transferID, transfer.source, transfer.fromSmartAccount, transfer.fromVirtualAccount,
        transfer.webOrderID, transfer.lineNumber, LineIdentity.skuKey(transfer.sku), transfer.quantity,
        transfer.toSmartAccount, transfer.toVirtualAccount, fileID, runID, transfer.record, Timestamp.now(),
        transfer.identity.order, transfer.identity.line,
      ])
  }

  func depositsOfThisFile(_ body: (Deposit) throws -> Void) throws {
    let statement = try db.cachedStatement(
      sql: "SELECT \(Self.depositColumns) FROM deposits WHERE file_id = ? ORDER BY record")
    try read(statement, [fileID]) { try body(try LedgerQueries.deposit($0)) }
  }

  func rejectsOfThisFile(_ body: (Reject) throws -> Void) throws {
    let statement = try db.cachedStatement(
      sql: "SELECT \(LedgerQueries.rejectColumns) FROM rejects WHERE file_id = ? ORDER BY record, id")
    try read(statement, [fileID]) { row in
      try body(LedgerQueries.reject(record: try row.int(1)) { try row.string($0) })
    }
  }

  /// The deposit the ledger holds under `identity` (the row of twin 0).
  private func storedDeposit(_ identity: LineIdentity) throws -> Deposit? {
    var found: Deposit?
    try read(findExisting, [identity.order, identity.line]) { found = try LedgerQueries.deposit($0) }
    return found
  }

  /// Steps `statement` with `arguments`, reading each row's cells in place
  /// (`SQLiteCursor`): a GRDB `Row` per row cost more than the query when a
  /// file's rejects, or the lines of its rejected orders, are read back.
  private func read(
    _ statement: Statement, _ arguments: StatementArguments, _ body: (LedgerRow) throws -> Void
  )
    throws
  {
    try statement.setArguments(arguments)
    let cursor = SQLiteCursor(statement)
    while let row = try cursor.next() { try body(row) }
  }

  /// The columns `LedgerQueries.deposit` reads, in its order.
  static let depositColumns = LedgerQueries.depositColumns
}

/// UTC timestamps as the ledger and reports write them.
///
/// Formatted by hand from `gmtime_r`: Foundation's date formatters load ICU
/// data, which added about 5 MiB to a run's resident memory.
public enum Timestamp {
  /// Now, as `2026-11-29T02:00:00Z`.
  public static func now() -> String { format(Date()) }

  public static func format(_ date: Date) -> String { render(date, separated: true) }

  /// `2026-11-29T02:00:00Z`, or without its separators `20261129T020000Z`,
  /// by hand: `String(format:)` goes through the locale machinery, and every
  /// file's record is stamped.
  private static func render(_ date: Date, separated: Bool) -> String {
    let parts = components(date)
    let fields = [
      (parts.year, 4), (parts.month, 2), (parts.day, 2), (parts.hour, 2), (parts.minute, 2), (parts.second, 2),
    ]
    var text: [UInt8] = []
    text.reserveCapacity(20)
    for (index, (value, width)) in fields.enumerated() {
      if index == 3 {
        text.append(UInt8(ascii: "T"))
      } else if index > 0 && separated {
        text.append(UInt8(ascii: index < 3 ? "-" : ":"))
      }
      digits(value, width, into: &text)
    }
    text.append(UInt8(ascii: "Z"))
    return String(decoding: text, as: UTF8.self)
  }

  /// `value` in `count` decimal digits, zero-padded.
  private static func digits(_ value: Int, _ count: Int, into text: inout [UInt8]) {
    var divisor = 1
    for _ in 1..<count { divisor *= 10 }
    var rest = max(value, 0)
    if rest >= divisor * 10 {
      text.append(contentsOf: String(rest).utf8)
      return
    }
    while divisor > 0 {
      text.append(0x30 + UInt8(rest / divisor))
      rest %= divisor
      divisor /= 10
    }
  }

  /// The time of `2026-11-29T02:00:00Z` (as `format` writes it), or nil.
  public static func parse(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count == 20, bytes[10] == 0x54, bytes[19] == 0x5A,
      let day = CalendarDate.dayNumber(String(text.prefix(10)))
    else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for index in range {
        guard bytes[index] >= 0x30 && bytes[index] <= 0x39 else { return nil }
        value = value * 10 + Int(bytes[index] - 0x30)
      }
      return value
    }
    guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
    return Date(timeIntervalSince1970: Double(day * 86_400 + hour * 3600 + minute * 60 + second))
  }

  /// Now, as `20261129T020000Z` (the first part of a run id).
  public static func compact(_ date: Date = Date()) -> String { render(date, separated: false) }

  private static func components(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
  {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var value = tm()
    gmtime_r(&seconds, &value)
    return (
      Int(value.tm_year) + 1900, Int(value.tm_mon) + 1, Int(value.tm_mday), Int(value.tm_hour), Int(value.tm_min),
      Int(value.tm_sec)
    )
  }
}
