import Foundation
import PostgresNIO

/// The shared ledger: a PostgreSQL database that several runners, on one
/// host or several, use at once (see `RunCoordination.fileClaims`).
///
/// Every guarantee of the SQLite ledger holds: a file's record and its
/// deposits commit in one transaction; the deposit identity and the file
/// identity are unique constraints, so two runners can never deposit one
/// line or one file twice, whatever the timing.
public final class PostgresLedger: Ledger {
  public let postgres: PostgresLocation
  /// The connection for everything but leases and claims.
  private let session: PostgresSession
  /// Leases and claims, on a connection of their own.
  private let leases: PostgresLeases
  private let dryRun: Bool
  private var closed = false

  public var location: String { postgres.description }
  public var coordination: RunCoordination { .fileClaims(timeoutSeconds: postgres.claimTimeoutSeconds) }
  /// A round trip per batch (a batch is one COPY, its savepoint sent
  /// without waiting): twice SQLite's batch. 4,096 was no faster on the
  /// 1M-line drop and held 80 MiB, over the budget; 2,048 held 65-69 MiB.
  public var batchSize: Int { 1024 }

  /// Connects and brings the schema up to date. Without `createSchema`, a
  /// database with no ledger in it calls `missing` (which throws) instead
  /// of creating one.
  init(location: PostgresLocation, createSchema: Bool, dryRun: Bool, missing: () throws -> Void) throws {
    postgres = location
    self.dryRun = dryRun
    leases = PostgresLeases(location: location)
    session = try PostgresSession(location: location)
    let exists = try session.query(
      "SELECT to_regclass('schema_migrations') IS NOT NULL", operation: "looking for the ledger's schema")
    let hasSchema = try exists.first?.makeRandomAccess()[0].decode(Bool.self) ?? false
    if !hasSchema && !createSchema { try missing() }
    try migrate()
    if dryRun { try session.query("BEGIN", operation: "starting the dry run") }
  }

  /// Applies the migrations not applied yet, each in its own transaction,
  /// under an advisory lock so that two runners starting together do not
  /// both migrate.
  private func migrate() throws {
    try session.query("BEGIN", operation: "migrating the ledger")
    do {
      try session.query(
        "SELECT pg_advisory_xact_lock(7714359001)", operation: "waiting for another runner's migration")
      try session.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        operation: "migrating the ledger")
      let rows = try session.query("SELECT version FROM schema_migrations", operation: "migrating the ledger")
      let applied = Set(try rows.map { try $0.makeRandomAccess().string(0) })
      for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
        try session.execute(script: migration.sql, operation: "applying migration \(migration.version)")
        var binds = PostgresBindings()
        binds.append(migration.version)
        binds.append(Timestamp.now())
        try session.query(
          "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", binds,
          operation: "migrating the ledger")
      }
      try session.query("COMMIT", operation: "migrating the ledger")
    } catch {
      _ = try? session.query("ROLLBACK", operation: "migrating the ledger")
      throw error
    }
  }

  public func close() {
    guard !closed else { return }
    closed = true
    if dryRun { _ = try? session.query("ROLLBACK", operation: "ending the dry run") }
  }

  deinit { close() }

  /// Runs `body` in a transaction (a savepoint inside a dry run's).
  private func transaction<T>(_ operation: String, _ body: () throws -> T) throws -> T {
    try session.query(dryRun ? "SAVEPOINT change" : "BEGIN", operation: operation)
    do {
      let result = try body()
      try session.query(dryRun ? "RELEASE SAVEPOINT change" : "COMMIT", operation: operation)
      return result
    } catch {
      _ = try? session.query(dryRun ? "ROLLBACK TO SAVEPOINT change" : "ROLLBACK", operation: operation)
      throw error
    }
  }

  private var leaseInterval: String { leases.interval }

  /// Runs `body` with the connection in one transaction: for `ledger copy`.
  func importing<T>(_ body: (PostgresSession) throws -> T) throws -> T {
    try transaction("copying the ledger") { try body(session) }
  }

  // MARK: Registry

  public func registrySource() throws -> RegistrySource? {
    for row in try session.query(LedgerQueries.readRegistrySourceSQL, operation: "reading the registry's source") {
      let cells = row.makeRandomAccess()
      return LedgerQueries.registrySource(fingerprint: try cells.string(0), problems: try cells.string(1))
    }
    return nil
  }

  public func syncRegistry(_ accounts: [SmartAccount], source: RegistrySource?) throws -> RegistrySyncResult {
    let now = Timestamp.now()
    return try transaction("syncing the registry") {
      // Runners starting together sync one after the other, each seeing what the one before it added.
      try session.query("SELECT pg_advisory_xact_lock(7714359002)", operation: "syncing the registry")
      try session.query(LedgerQueries.forgetRegistrySourceSQL, operation: "syncing the registry")
      if let source {
        var binds = PostgresBindings()
        binds.append(source.fingerprint)
        binds.append(LedgerQueries.encodeProblems(source.problems))
        binds.append(now)
        try session.query(
          LedgerQueries.recordRegistrySourceSQL(placeholder: { "$\($0)" }), binds, operation: "syncing the registry")
      }
      var result = RegistrySyncResult()
      var held: [String: (name: String, type: String, partner: String)] = [:]
      for row in try session.query(
        "SELECT smart_account, name, type, partner FROM accounts", operation: "syncing the registry")
      {
        let cells = row.makeRandomAccess()
        held[try cells.string(0)] = (try cells.string(1), try cells.string(2), try cells.string(3))
      }
      var heldNames: [String: Set<String>] = [:]
      for row in try session.query(
        "SELECT smart_account, name_key FROM virtual_accounts", operation: "syncing the registry")
      {
        let cells = row.makeRandomAccess()
        heldNames[try cells.string(0), default: []].insert(try cells.string(1))
      }
      // New accounts and VAs go in by COPY: under the lock, what is new is
      // known exactly (a first sync of 17,530 VAs took 58 ms as one
      // `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`).
      // An account listed again changes the row still to be sent.
      var newAccounts: [(identifier: String, name: String, type: String, partner: String)] = []
      var newAccountIndex: [String: Int] = [:]
      var newNames = CopyText(capacity: 0)
      for account in accounts {
        if let existing = held[account.identifier] {
          if existing.name != account.name || existing.type != account.type.rawValue
            || existing.partner != account.partner
          {
            if let index = newAccountIndex[account.identifier] {
              newAccounts[index] = (account.identifier, account.name, account.type.rawValue, account.partner)
            } else {
              var binds = PostgresBindings()
              binds.append(account.name)
              binds.append(account.type.rawValue)
              binds.append(account.partner)
              binds.append(now)
              binds.append(account.identifier)
              try session.query(
                "UPDATE accounts SET name = $1, type = $2, partner = $3, synced_at = $4 WHERE smart_account = $5",
                binds, operation: "syncing the registry")
            }
            result.accountsUpdated += 1
          }
        } else {
          newAccountIndex[account.identifier] = newAccounts.count
          newAccounts.append((account.identifier, account.name, account.type.rawValue, account.partner))
          result.accountsAdded += 1
        }
        held[account.identifier] = (account.name, account.type.rawValue, account.partner)
        for name in account.virtualAccounts {
          let key = name.lowercased()
          if heldNames[account.identifier]?.contains(key) == true { continue }
          newNames.field(account.identifier)
          newNames.field(key)
          newNames.field(name)
          newNames.endRow()
          heldNames[account.identifier, default: []].insert(key)
          result.virtualAccountsAdded += 1
        }
      }
      if !newAccounts.isEmpty {
        var rows = CopyText(capacity: 0)
        for account in newAccounts {
          for value in [account.identifier, account.name, account.type, account.partner, now] { rows.field(value) }
          rows.endRow()
        }
        try session.copy(
          into: "accounts", columns: ["smart_account", "name", "type", "partner", "synced_at"], data: rows.buffer,
          waits: false, operation: "syncing the registry")
      }
      if result.virtualAccountsAdded > 0 {
        try session.copy(
          into: "virtual_accounts", columns: ["smart_account", "name_key", "name"], data: newNames.buffer,
          waits: false, operation: "syncing the registry")
      }
      return result
    }
  }

  public func registry() throws -> Registry {
    var names: [String: [String]] = [:]
    for row in try session.query(
      "SELECT smart_account, name FROM virtual_accounts ORDER BY smart_account COLLATE \"C\", name_key COLLATE \"C\"",
      operation: "reading the registry")
    {
      let cells = row.makeRandomAccess()
      names[try cells.string(0), default: []].append(try cells.string(1))
    }
    var accounts: [SmartAccount] = []
    for row in try session.query(
      "SELECT smart_account, name, type, partner FROM accounts", operation: "reading the registry")
    {
      let cells = row.makeRandomAccess()
      guard let type = AccountType(rawValue: try cells.string(2)) else { continue }
      let identifier = try cells.string(0)
      accounts.append(
        SmartAccount(
          identifier: identifier, name: try cells.string(1), type: type, partner: try cells.string(3),
          virtualAccounts: names[identifier] ?? []))
    }
    return Registry(accounts)
  }

  // MARK: Runs

  static let runColumns = LedgerQueries.runColumns

  static func runRecord(_ row: PostgresRow) throws -> RunRecord {
    let cells = row.makeRandomAccess()
    var values: [Int] = []
    for index in 8..<(8 + RunCounts.columns.count) { values.append(try cells.int(index)) }
    return RunRecord(
      id: try cells.string(0), startedAt: try cells.string(1), finishedAt: try cells.optionalString(2),
      status: RunStatus(rawValue: try cells.string(3)) ?? .failed, exitCode: try cells.optionalInt(4),
      counts: RunCounts(values: values, cause: try cells.string(7)), host: try cells.string(5),
      pid: try cells.optionalInt(6))
  }

  /// Marks as died only the runs whose lease has expired: a run still
  /// renewing its lease is alive, on this host or another.
  public func startRun(_ run: RunStart) throws -> [RunRecord] {
    try transaction("starting the run") {
      let died = try session.query(
        """
        UPDATE runs SET status = 'died', \(LedgerQueries.diedRunCountsSQL)
         WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now())
        RETURNING \(Self.runColumns)
        """, operation: "starting the run"
      ).map(Self.runRecord).sorted { $0.startedAt < $1.startedAt }
      var binds = PostgresBindings()
      binds.append(run.id)
      binds.append(run.startedAt)
      binds.append(run.pid)
      binds.append(run.host)
      try session.query(
        """
        INSERT INTO runs(id, started_at, status, pid, host, lease_until)
        VALUES ($1, $2, 'running', $3, $4, now() + interval '\(leaseInterval)')
        """, binds, operation: "starting the run")
      return died
    }
  }

  public func renewRun(id: String) throws {
    guard !dryRun else { return }
    try leases.renewRun(id: id)
  }

  public func leaseRenewal(runID: String) -> (@Sendable () throws -> Void)? {
    guard !dryRun else { return nil }
    let leases = leases
    return {
      try leases.renewRun(id: runID)
      try leases.renewClaims(runID: runID)
    }
  }

  public func finishRun(id: String, finishedAt: String, exitCode: Int, status: RunStatus, summary: RunCounts) throws {
    try transaction("finishing the run") {
      var binds = PostgresBindings()
      binds.append(finishedAt)
      binds.append(status.rawValue)
      binds.append(exitCode)
      binds.append(summary.cause)
      binds.append(id)
      for value in summary.values { binds.append(value) }
      try session.query(LedgerQueries.finishRunSQL(placeholder: { "$\($0)" }), binds, operation: "finishing the run")
      var lease = PostgresBindings()
      lease.append(id)
      try session.query("UPDATE runs SET lease_until = NULL WHERE id = $1", lease, operation: "finishing the run")
    }
  }

  public func runs(limit: Int) throws -> [RunRecord] {
    var binds = PostgresBindings()
    binds.append(limit)
    return try session.query(
      "SELECT \(Self.runColumns) FROM runs ORDER BY started_at DESC, seq DESC LIMIT $1", binds,
      operation: "reading the run history"
    ).map(Self.runRecord)
  }

  // MARK: What a run saw, for its reports

  public func recordRunFiles(runID: String, _ entries: [RunFileEntry]) throws {
    guard !entries.isEmpty else { return }
    try transaction("recording the files of the run") {
      for entry in entries {
        var binds = PostgresBindings()
        binds.append(runID)
        binds.append(entry.name)
        binds.append(entry.sha256)
        binds.append(entry.format)
        binds.append(entry.sender)
        binds.append(entry.outcome.rawValue)
        binds.append(entry.reason)
        binds.append(entry.ageHours)
        try session.query(
          LedgerQueries.insertRunFileSQL(placeholder: { "$\($0)" }), binds, operation: "recording the files of the run")
      }
    }
  }

  public func run(id: String) throws -> RunRecord? {
    var binds = PostgresBindings()
    binds.append(id)
    return try session.query(
      "SELECT \(Self.runColumns) FROM runs WHERE id = $1", binds, operation: "reading the run history"
    ).first.map(Self.runRecord)
  }

  public func filesOfRun(id: String) throws -> [RunFileEntry] {
    var binds = PostgresBindings()
    binds.append(id)
    return try session.query(
      LedgerQueries.runFilesSQL(placeholder: { "$\($0)::text" }), binds, operation: "reading the files of run \(id)"
    ).map { row in
      let cells = row.makeRandomAccess()
      return LedgerQueries.runFileEntry(
        name: try cells.string(0), sha256: try cells.string(1), format: try cells.string(2),
        sender: try cells.string(3), outcome: try cells.string(4), reason: try cells.string(5),
        lines: try cells.int(6), rejected: try cells.int(7), deposited: try cells.int(8),
        ageHours: try cells[9].decode(Double?.self))
    }
  }

  public func transfersOfRun(id: String) throws -> (applied: Int, quantity: Int) {
    var binds = PostgresBindings()
    binds.append(id)
    let rows = try session.query(
      LedgerQueries.transfersOfRunSQL(placeholder: { "$\($0)" }), binds, operation: "reading the transfers of run \(id)"
    )
    guard let cells = rows.first?.makeRandomAccess() else { return (0, 0) }
    return (try cells.int(0), try cells.int(1))
  }

  /// A text value as an SQL literal (standard conforming strings): for a
  /// cursor's query, which takes no parameters.
  static func literal(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
  }

  // MARK: Claims

  /// One statement, atomic per file: a new claim, or one whose holder let it
  /// lapse, is taken; a live claim of another run is left alone. Runners
  /// claiming different files never wait for each other.
  public func claimFile(_ claim: FileClaim, runID: String) throws -> Bool {
    guard !dryRun else { return true }
    return try leases.claim(claim, runID: runID)
  }

  public func renewClaims(runID: String) throws {
    guard !dryRun else { return }
    try leases.renewClaims(runID: runID)
  }

  public func releaseClaim(_ claim: FileClaim, runID: String) throws {
    guard !dryRun else { return }
    try leases.release(claim, runID: runID)
  }

  // MARK: Files

  public func hasProcessedFile(size: Int64) throws -> Bool {
    var binds = PostgresBindings()
    binds.append(Int(size))
    let rows = try session.query(
      LedgerQueries.knownSizeSQL(placeholder: { "$\($0)" }), binds, operation: "looking up a file")
    return try rows.first?.makeRandomAccess()[0].decode(Bool.self) ?? false
  }

  public func quarantinedFile(sha256: String) throws -> QuarantinedFile? {
    try quarantined(sha256).first
  }

  public func quarantinedFiles() throws -> [QuarantinedFile] { try quarantined(nil) }

  private func quarantined(_ sha256: String?) throws -> [QuarantinedFile] {
    var binds = PostgresBindings()
    binds.append(sha256)
    return try session.query(
      LedgerQueries.quarantinedSQL(placeholder: { "$\($0)::text" }), binds, operation: "reading the quarantine"
    ).map { row in
      let cells = row.makeRandomAccess()
      return QuarantinedFile(
        sha256: try cells.string(0), name: try cells.string(1), runID: try cells.string(2),
        reason: try cells.string(3), recordedAt: try cells.string(4))
    }
  }

  public func releaseQuarantine(sha256: String) throws {
    try transaction("releasing a quarantined file") {
      var binds = PostgresBindings()
      binds.append(sha256)
      try session.query(
        LedgerQueries.releaseSQL(placeholder: { "$\($0)" }), binds, operation: "releasing a quarantined file")
    }
  }

  public func processedFile(sha256: String) throws -> ProcessedFile? {
    var binds = PostgresBindings()
    binds.append(sha256)
    return try session.query(
      "SELECT id, sha256, name, run_id, disposition FROM files WHERE sha256 = $1 AND outcome = 'processed'", binds,
      operation: "looking up a file"
    ).first.map { row in
      let cells = row.makeRandomAccess()
      return ProcessedFile(
        id: Int64(try cells.int(0)), sha256: try cells.string(1), name: try cells.string(2),
        runID: try cells.string(3), disposition: FileDisposition(rawValue: try cells.string(4)) ?? .pending)
    }
  }

  public func setDisposition(fileID: Int64, disposition: FileDisposition) throws {
    try transaction("recording where a file was moved") {
      var binds = PostgresBindings()
      binds.append(disposition.rawValue)
      binds.append(Int(fileID))
      try session.query(
        "UPDATE files SET disposition = $1 WHERE id = $2", binds, operation: "recording where a file was moved")
    }
  }

  /// Each file commits on its own: other runners see its claim end with its commit.
  public var groupsFiles: Bool { false }
  public func beginFileGroup() throws {}
  public func commitFileGroup() throws {}
  public func rollbackFileGroup() {}

  public func recordQuarantine(_ file: FileRecord) throws {
    try transaction("recording a quarantined file") { _ = try insertFile(file) }
  }

  func insertFile(_ file: FileRecord) throws -> Int64 {
    var binds = PostgresBindings()
    binds.append(file.sha256)
    binds.append(file.name)
    binds.append(file.format.rawValue)
    binds.append(file.sender)
    binds.append(file.runID)
    binds.append(file.outcome.rawValue)
    binds.append(file.lines)
    binds.append(file.rejected)
    binds.append(file.reason)
    binds.append(Int(file.size))
    binds.append(file.disposition.rawValue)
    binds.append(Timestamp.now())
    let rows = try session.query(
      """
      INSERT INTO files(sha256, name, format, sender, run_id, outcome, lines, rejected, reason, size, disposition,
        recorded_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
      """, binds, operation: "recording \(file.name)")
    guard let id = try rows.first?.makeRandomAccess().int(0) else {
      throw LedgerError(path: location, operation: "recording \(file.name)", cause: "no id returned")
    }
    return Int64(id)
  }

  public func inFileTransaction<T>(
    _ file: FileRecord, pacing: DepositPacing, _ body: (DepositSession) throws -> T
  ) throws -> T {
    do {
      return try transaction("depositing \(file.name)") {
        let fileID = try insertFile(file)
        let deposits = PostgresDepositSession(
          session: session, fileID: fileID, file: file, sendsAhead: pacing == .ahead)
        return try body(deposits)
      }
    } catch let error as LedgerError
      where pacing == .ahead && error.isUniqueViolation && error.constraint == PostgresDepositSession.depositKey
    {
      // A row sent ahead met the deposit key; the whole file was rolled back.
      throw DepositsSentAheadRefused(file: file.name)
    }
  }

  // MARK: Balances and reports

  public func totals(heldOverAgeBefore day: String) throws -> LedgerTotals {
    var totals = LedgerTotals()
    var binds = PostgresBindings()
    binds.append(day)
    if let row = try session.query(
      LedgerQueries.fileTotalsSQL(placeholder: { "$\($0)::text" }), binds, operation: "adding up the ledger's totals"
    ).first?.makeRandomAccess() {
      totals.deposits = try row.int(0)
      totals.held = try row.int(1)
      totals.heldOverAge = try row.int(2)
    }
    if let row = try session.query(
      LedgerQueries.transferTotalsSQL(placeholder: { "$\($0)::text" }), binds, operation: "adding up the transfers"
    ).first?.makeRandomAccess() {
      totals.held -= try row.int(0)
      totals.heldOverAge -= try row.int(1)
    }
    totals.lastSuccess = try session.query(LedgerQueries.lastSuccessSQL, operation: "reading the run history")
      .first?.makeRandomAccess()[0].decode(String?.self)
    return totals
  }

  public func depositCount() throws -> Int {
    try session.query("SELECT COUNT(*) FROM deposits", operation: "counting deposits").first?.makeRandomAccess()
      .int(0) ?? 0
  }

  public func identityCollisions() throws -> [IdentityCollision] {
    try session.query(LedgerQueries.identityCollisionsSQL, operation: "reading identity collisions").map { row in
      let cells = row.makeRandomAccess()
      func side(_ offset: Int) throws -> IdentityCollision.Side {
        IdentityCollision.Side(
          webOrderID: try cells.optionalString(offset) ?? "", lineNumber: try cells.optionalString(offset + 1) ?? "",
          sku: try cells.optionalString(offset + 2) ?? "", quantity: try cells.optionalInt(offset + 3) ?? 0,
          smartAccount: try cells.optionalString(offset + 4) ?? "",
          virtualAccount: try cells.optionalString(offset + 5) ?? "",
          status: DepositStatus(rawValue: try cells.optionalString(offset + 6) ?? "") ?? .available,
          file: try cells.optionalString(offset + 7) ?? "", runID: try cells.optionalString(offset + 8) ?? "")
      }
      return IdentityCollision(
        identity: LineIdentity(orderKey: try cells.string(0), lineKey: try cells.string(1)), kept: try side(3),
        twin: try side(12), twinNumber: try cells.int(2))
    }
  }

  public func withCursors<T>(_ operation: String, _ body: (LedgerCursors) throws -> T) throws -> T {
    try transaction(operation) {
      let cursors = PostgresCursors(session: session)
      defer { cursors.closeAll() }
      return try body(cursors)
    }
  }
}

/// Server-side cursors in the current transaction. A cursor's query takes
/// no bound parameters, so each is spelled as a literal (the only
/// parameters are dates, already validated, and NULL).
final class PostgresCursors: LedgerCursors {
  private let session: PostgresSession
  private var opened = 0
  private var arguments: [String?] = []

  init(session: PostgresSession) { self.session = session }

  func placeholder(_ n: Int) -> String { "\u{1}\(n)\u{1}" }
  var collation: String { " COLLATE \"C\"" }

  func open(_ sql: String, _ arguments: [String?]) throws -> LedgerCursor {
    var text = sql
    for (index, argument) in arguments.enumerated() {
      text = text.replacingOccurrences(
        of: "\u{1}\(index + 1)\u{1}", with: argument.map { PostgresLedger.literal($0) + "::text" } ?? "NULL::text")
    }
    opened += 1
    let name = "smartdeposit_cursor_\(opened)"
    try session.query("DECLARE \(name) NO SCROLL CURSOR FOR \(text)", operation: "reading the ledger")
    return PostgresCursor(session: session, name: name)
  }

  func closeAll() {
    for index in stride(from: opened, to: 0, by: -1) {
      _ = try? session.query("CLOSE smartdeposit_cursor_\(index)", operation: "reading the ledger")
    }
  }
}

/// Rows of one server-side cursor, fetched 2,048 at a time; the cursor is
/// its own current row.
final class PostgresCursor: LedgerCursor, LedgerRow {
  private let session: PostgresSession
  private let name: String
  private var rows: [PostgresRow] = []
  private var position = 0
  private var finished = false
  private var cells: PostgresRandomAccessRow?
  /// The current row's cells as bytes, copied out when first asked for
  /// (`bytes`), so that they stay put until the cursor moves.
  private var arena: UnsafeMutableRawPointer?
  private var arenaCapacity = 0
  private var copied: [Int: UnsafeRawBufferPointer] = [:]
  private var arenaUsed = 0

  init(session: PostgresSession, name: String) {
    self.session = session
    self.name = name
  }

  deinit { arena?.deallocate() }

  func next() throws -> LedgerRow? {
    if position == rows.count {
      guard !finished else { return nil }
      rows = try session.query("FETCH 2048 FROM \(name)", operation: "reading the ledger")
      position = 0
      finished = rows.count < 2048
      if rows.isEmpty {
        cells = nil
        return nil
      }
    }
    let row = rows[position].makeRandomAccess()
    cells = row
    position += 1
    copied.removeAll(keepingCapacity: true)
    arenaUsed = 0
    // Room for every cell of the row: no pointer handed out moves.
    var total = 0
    for cell in row { total += cell.bytes?.readableBytes ?? 0 }
    if total > arenaCapacity {
      arena?.deallocate()
      arenaCapacity = max(total, 2 * arenaCapacity, 256)
      arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 8)
    }
    return self
  }

  private var row: PostgresRandomAccessRow {
    get throws {
      guard let cells else { throw LedgerError(path: name, operation: "reading the ledger", cause: "no current row") }
      return cells
    }
  }

  func string(_ index: Int) throws -> String { try row.optionalString(index) ?? "" }
  func optionalString(_ index: Int) throws -> String? { try row.optionalString(index) }
  func int(_ index: Int) throws -> Int { try row.optionalInt(index) ?? 0 }
  func optionalInt(_ index: Int) throws -> Int? { try row.optionalInt(index) }

  // Text columns come as their UTF-8 bytes in either wire format.
  func bytes(_ index: Int) throws -> UnsafeRawBufferPointer {
    if let done = copied[index] { return done }
    guard let buffer = try row[index].bytes, buffer.readableBytes > 0, let arena else {
      return UnsafeRawBufferPointer(start: nil, count: 0)
    }
    let target = arena + arenaUsed
    buffer.withUnsafeReadableBytes {
      UnsafeMutableRawBufferPointer(start: target, count: $0.count).copyMemory(from: $0)
    }
    let result = UnsafeRawBufferPointer(start: target, count: buffer.readableBytes)
    arenaUsed += buffer.readableBytes
    copied[index] = result
    return result
  }
}

/// Run leases and file claims, on a connection of their own: they must be
/// seen by other runners at once, not when the current file's transaction
/// commits, and they are renewed from a thread of their own.
final class PostgresLeases: @unchecked Sendable {
  // @unchecked: the connection is created and used only under `lock`.
  private let location: PostgresLocation
  private var session: PostgresSession?
  private let lock = NSLock()

  init(location: PostgresLocation) {
    self.location = location
  }

  /// The claim timeout as an SQL interval.
  var interval: String { "\(Int(location.claimTimeoutSeconds.rounded(.up))) seconds" }

  private func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
    lock.lock()
    defer { lock.unlock() }
    let current = try session ?? PostgresSession(location: location)
    session = current
    return try body(current)
  }

  func renewRun(id: String) throws {
    try withSession { lease in
      var binds = PostgresBindings()
      binds.append(id)
      try lease.query(
        "UPDATE runs SET lease_until = now() + interval '\(interval)' WHERE id = $1 AND status = 'running'",
        binds, operation: "renewing the run's lease")
    }
  }

  /// One statement, atomic per file: a new claim, or one whose holder let it
  /// lapse, is taken; a live claim of another run is left alone. Runners
  /// claiming different files never wait for each other.
  func claim(_ claim: FileClaim, runID: String) throws -> Bool {
    try withSession { lease in
      var binds = PostgresBindings()
      binds.append(claim.path)
      binds.append(Int(claim.size))
      binds.append(claim.modified)
      binds.append(runID)
      let rows = try lease.query(
        """
        INSERT INTO file_claims(path, size, modified, run_id, expires_at)
        VALUES ($1, $2, $3, $4, now() + interval '\(interval)')
        ON CONFLICT (path, size, modified) DO UPDATE SET run_id = EXCLUDED.run_id, expires_at = EXCLUDED.expires_at
          WHERE file_claims.expires_at < now() OR file_claims.run_id = EXCLUDED.run_id
        RETURNING run_id
        """, binds, operation: "claiming \(claim.path)")
      return !rows.isEmpty
    }
  }

  func renewClaims(runID: String) throws {
    try withSession { lease in
      var binds = PostgresBindings()
      binds.append(runID)
      try lease.query(
        "UPDATE file_claims SET expires_at = now() + interval '\(interval)' WHERE run_id = $1", binds,
        operation: "renewing file claims")
    }
  }

  func release(_ claim: FileClaim, runID: String) throws {
    try withSession { lease in
      var binds = PostgresBindings()
      binds.append(claim.path)
      binds.append(Int(claim.size))
      binds.append(claim.modified)
      binds.append(runID)
      try lease.query(
        "DELETE FROM file_claims WHERE path = $1 AND size = $2 AND modified = $3 AND run_id = $4", binds,
        operation: "releasing the claim on \(claim.path)")
    }
  }
}
