import Foundation

/// The read queries both backends run, written once in the SQL that SQLite
/// and PostgreSQL share, with the mapping of their rows to values: a
/// backend only binds, runs and decodes.
enum LedgerQueries {
  /// Fills `files.deposited` and `files.held_quantity` from the deposits, once, when the columns are added.
  static let backfillFileTotalsSQL = """
    UPDATE files SET deposited = t.rows, held_quantity = t.held
      FROM (SELECT file_id, COUNT(*) AS rows,
                   COALESCE(SUM(CASE WHEN status = 'held' THEN quantity ELSE 0 END), 0) AS held
              FROM deposits GROUP BY file_id) AS t
     WHERE t.file_id = files.id;
    """

  /// Deposit rows, held licences and held licences deposited before day
  /// parameter 1 (`YYYY-MM-DD`), from the files' totals.
  static func fileTotalsSQL(placeholder: (Int) -> String) -> String {
    """
    SELECT CAST(COALESCE(SUM(deposited), 0) AS BIGINT), CAST(COALESCE(SUM(held_quantity), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN substr(recorded_at, 1, 10) < \(placeholder(1)) THEN held_quantity ELSE 0 END), 0)
             AS BIGINT)
      FROM files WHERE outcome = 'processed'
    """
  }

  /// Licences transferred out of held deposits, and those of deposits made before day parameter 1.
  static func transferTotalsSQL(placeholder: (Int) -> String) -> String {
    """
    SELECT CAST(COALESCE(SUM(t.quantity), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN substr(f.recorded_at, 1, 10) < \(placeholder(1)) THEN t.quantity ELSE 0 END), 0)
             AS BIGINT)
      FROM transfers t
      LEFT JOIN deposits d ON d.order_key = t.order_key AND d.line_key = t.line_key AND d.twin = 0
      LEFT JOIN files f ON f.id = d.file_id
    """
  }

  /// The run history keeps every count of `summary.json` and a failed run's cause.
  static let runCountsMigrationSQL = """
    ALTER TABLE runs ADD COLUMN files_duplicate INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN files_quarantined INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN files_not_ready INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN files_stale INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN lines_read INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN lines_held INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN lines_duplicate INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN cause TEXT NOT NULL DEFAULT '';
    """

  /// What the reports show of a rejected line (the order's context and the
  /// line as its file wrote it), and the files a run saw but did not
  /// deposit, so that any run's reports can be rebuilt from the ledger.
  static let reportContextMigrationSQL = """
    ALTER TABLE rejects ADD COLUMN virtual_account TEXT NOT NULL DEFAULT '';
    ALTER TABLE rejects ADD COLUMN quantity_written TEXT NOT NULL DEFAULT '';
    ALTER TABLE rejects ADD COLUMN purchase_order TEXT NOT NULL DEFAULT '';
    ALTER TABLE rejects ADD COLUMN sales_order TEXT NOT NULL DEFAULT '';
    ALTER TABLE rejects ADD COLUMN end_customer TEXT NOT NULL DEFAULT '';
    ALTER TABLE rejects ADD COLUMN order_date TEXT NOT NULL DEFAULT '';
    UPDATE rejects SET quantity_written = COALESCE(CAST(quantity AS TEXT), '');
    CREATE INDEX files_by_run ON files(run_id);
    """

  /// The files a run saw and did not deposit (duplicates, not ready, stale,
  /// unreadable); `idColumn` spells the backend's generated key.
  static func runFilesTableSQL(idColumn: String) -> String {
    """
    CREATE TABLE run_files (
      id \(idColumn),
      run_id TEXT NOT NULL,
      name TEXT NOT NULL,
      sha256 TEXT NOT NULL DEFAULT '',
      format TEXT NOT NULL DEFAULT '',
      sender TEXT NOT NULL DEFAULT '',
      outcome TEXT NOT NULL,
      reason TEXT NOT NULL DEFAULT '',
      age_hours DOUBLE PRECISION
    );
    CREATE INDEX run_files_by_run ON run_files(run_id, id);
    """
  }

  /// Files by size, for `knownSizeSQL`, asked once per file a run takes:
  /// without it each question read every file the ledger ever recorded,
  /// which a portal uploading one file per order makes millions.
  static let filesBySizeIndexSQL = "CREATE INDEX files_by_size ON files(size)"

  /// What the registry was last synced from: one row at most.
  static let registrySourceTableSQL = """
    CREATE TABLE registry_source (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      fingerprint TEXT NOT NULL,
      problems TEXT NOT NULL,
      synced_at TEXT NOT NULL
    );
    """

  static let readRegistrySourceSQL = "SELECT fingerprint, problems FROM registry_source WHERE id = 1"
  static let forgetRegistrySourceSQL = "DELETE FROM registry_source"

  static func recordRegistrySourceSQL(placeholder: (Int) -> String) -> String {
    "INSERT INTO registry_source(id, fingerprint, problems, synced_at) VALUES (1, \(placeholder(1)), \(placeholder(2)), \(placeholder(3)))"
  }

  /// The problems of a registry source as the ledger keeps them (JSON).
  static func encodeProblems(_ problems: [AccountProblem]) -> String {
    let data = (try? JSONEncoder().encode(problems)) ?? Data("[]".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  /// A source row; problems that cannot be decoded make it no source at all,
  /// so that the next run reads the accounts file again.
  static func registrySource(fingerprint: String, problems: String) -> RegistrySource? {
    guard let decoded = try? JSONDecoder().decode([AccountProblem].self, from: Data(problems.utf8)) else { return nil }
    return RegistrySource(fingerprint: fingerprint, problems: decoded)
  }

  /// `INSERT` of one `run_files` row; parameters in `RunFileEntry` order.
  static func insertRunFileSQL(placeholder: (Int) -> String) -> String {
    let values = (1...8).map(placeholder).joined(separator: ", ")
    return "INSERT INTO run_files(run_id, name, sha256, format, sender, outcome, reason, age_hours) VALUES (\(values))"
  }

  /// Every file of run parameter 1: those it recorded (processed,
  /// quarantined), then those it only saw, each in the order it met them.
  /// A transfer file's `deposited` is the transfers it applied, as in `summary.json`.
  static func runFilesSQL(placeholder: (Int) -> String) -> String {
    let run = placeholder(1)
    return """
      SELECT name, sha256, format, sender, outcome, reason, lines, rejected, deposited, age_hours FROM (
        SELECT name, sha256, format, sender, outcome, reason, lines, rejected,
               CASE WHEN format = 'transfer' THEN (SELECT CAST(COUNT(*) AS BIGINT) FROM transfers t WHERE t.file_id = files.id)
                    ELSE CAST(deposited AS BIGINT) END AS deposited,
               CAST(NULL AS DOUBLE PRECISION) AS age_hours, id, 0 AS kind
          FROM files WHERE run_id = \(run)
        UNION ALL
        SELECT name, sha256, format, sender, outcome, reason, 0, 0, CAST(0 AS BIGINT), age_hours, id, 1
          FROM run_files WHERE run_id = \(run)) AS seen
       ORDER BY kind, id
      """
  }

  /// A run-file entry from a row of `runFilesSQL`.
  static func runFileEntry(
    name: String, sha256: String, format: String, sender: String, outcome: String, reason: String, lines: Int,
    rejected: Int, deposited: Int, ageHours: Double?
  ) -> RunFileEntry {
    RunFileEntry(
      name: name, sha256: sha256, format: format, sender: sender,
      outcome: RunSummary.FileRunOutcome(rawValue: outcome) ?? .unreadable, reason: reason, lines: lines,
      rejected: rejected, deposited: deposited, ageHours: ageHours)
  }

  /// The counts a run that died had committed, from its files: what
  /// `runs` shows of it instead of zeros. Set when the run is marked died.
  static let diedRunCountsSQL = """
    files_processed = (SELECT COUNT(*) FROM files f WHERE f.run_id = runs.id AND f.outcome = 'processed'),
    files_quarantined = (SELECT COUNT(*) FROM files f WHERE f.run_id = runs.id AND f.outcome = 'quarantined'),
    files_duplicate = (SELECT COUNT(*) FROM run_files r WHERE r.run_id = runs.id AND r.outcome = 'duplicate'),
    files_not_ready = (SELECT COUNT(*) FROM run_files r WHERE r.run_id = runs.id AND r.outcome = 'not-ready'),
    files_stale = (SELECT COUNT(*) FROM run_files r WHERE r.run_id = runs.id AND r.outcome = 'stale'),
    lines_read = (SELECT COALESCE(SUM(f.lines), 0) FROM files f
                   WHERE f.run_id = runs.id AND f.outcome = 'processed' AND f.format <> 'transfer'),
    lines_deposited = (SELECT COALESCE(SUM(f.deposited), 0) FROM files f
                        WHERE f.run_id = runs.id AND f.outcome = 'processed'),
    lines_rejected = (SELECT COALESCE(SUM(f.rejected), 0) FROM files f
                       WHERE f.run_id = runs.id AND f.outcome = 'processed' AND f.format <> 'transfer')
    """

  /// The columns a deposit is read from, in `deposit(_:)`'s order.
  static let depositColumns = """
    web_order_id, line_number, sales_order, purchase_order, order_date, sku, quantity, license_type, term_months, \
    start_date, smart_account, virtual_account, end_customer, status, source, record
    """

  /// A deposit from a row of `depositColumns`.
  static func deposit(_ row: LedgerRow) throws -> Deposit {
    Deposit(
      webOrderID: try row.string(0), lineNumber: try row.string(1), salesOrder: try row.string(2),
      purchaseOrder: try row.string(3), orderDate: try row.string(4), sku: try row.string(5),
      quantity: try row.int(6), licenseType: LicenseType(rawValue: try row.string(7)) ?? .perpetual,
      termMonths: try row.optionalInt(8), startDate: try row.optionalString(9), smartAccount: try row.string(10),
      virtualAccount: try row.string(11), endCustomer: try row.string(12),
      status: DepositStatus(rawValue: try row.string(13)) ?? .available, source: try row.string(14),
      record: try row.int(15))
  }

  /// The columns a reject is read from, in `reject(_:)`'s order.
  static let rejectColumns = """
    file, record, web_order_id, line_number, code, message, sku, quantity_written, smart_account, virtual_account, \
    purchase_order, sales_order, end_customer, order_date
    """

  /// A reject from a row of `rejectColumns`: `text(n)` reads column n as
  /// text, `record` is column 1.
  static func reject(record: Int, _ text: (Int) throws -> String) rethrows -> Reject {
    Reject(
      file: try text(0), record: record, webOrderID: try text(2), lineNumber: try text(3),
      code: RejectCode(rawValue: try text(4)) ?? .malformedRecord, message: try text(5),
      written: WrittenLine(
        sku: try text(6), quantity: try text(7), smartAccount: try text(8), virtualAccount: try text(9),
        purchaseOrder: try text(10), salesOrder: try text(11), endCustomer: try text(12), orderDate: try text(13)))
  }

  /// The rejects of run parameter 1's files, file by file, in record order.
  static func rejectsOfRunSQL(placeholder: (Int) -> String) -> String {
    let columns = rejectColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    return """
      SELECT \(columns.joined(separator: ", "))
        FROM files f JOIN rejects r ON r.file_id = f.id
       WHERE f.run_id = \(placeholder(1)) AND f.outcome = 'processed'
       ORDER BY f.id, r.record, r.id
      """
  }

  /// The deposits of run parameter 1's files, file by file, in record
  /// order: `depositColumns` (prefixed `d.`), then the file's name.
  static func depositsOfRunSQL(depositColumns: String, placeholder: (Int) -> String) -> String {
    let columns = depositColumns.split(separator: ",").map { "d." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    return """
      SELECT \(columns.joined(separator: ", ")), f.name
        FROM files f JOIN deposits d ON d.file_id = f.id
       WHERE f.run_id = \(placeholder(1)) AND f.outcome = 'processed'
       ORDER BY f.id, d.record
      """
  }

  /// Transfers applied by run parameter 1, and their licences.
  static func transfersOfRunSQL(placeholder: (Int) -> String) -> String {
    """
    SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM transfers
     WHERE run_id = \(placeholder(1))
    """
  }

  /// The columns a `RunRecord` is read from, in `runRecord`'s order.
  static let runColumns =
    "id, started_at, finished_at, status, exit_code, host, pid, cause, " + RunCounts.columns.joined(separator: ", ")

  /// `UPDATE runs` of a finished run; `placeholder(n)` spells parameter n: 1 finished_at, 2 status,
  /// 3 exit_code, 4 cause, 5 the run id, then the counts in `RunCounts.columns` order.
  static func finishRunSQL(placeholder: (Int) -> String) -> String {
    let counts = RunCounts.columns.enumerated().map { "\($1) = \(placeholder($0 + 6))" }.joined(separator: ", ")
    return """
      UPDATE runs SET finished_at = \(placeholder(1)), status = \(placeholder(2)), exit_code = \(placeholder(3)),
        cause = \(placeholder(4)), \(counts) WHERE id = \(placeholder(5))
      """
  }

  /// A size that some processed file, or some remembered quarantined one, had.
  static func knownSizeSQL(placeholder: (Int) -> String) -> String {
    """
    SELECT EXISTS (SELECT 1 FROM files WHERE size = \(placeholder(1))
      AND (outcome = 'processed' OR (outcome = 'quarantined' AND disposition <> 'released')))
    """
  }

  /// Remembered quarantines (parameter 1: a content hash, or NULL for all), newest first.
  static func quarantinedSQL(placeholder: (Int) -> String) -> String {
    """
    SELECT sha256, name, run_id, reason, recorded_at FROM files
     WHERE outcome = 'quarantined' AND disposition <> 'released'
       AND (\(placeholder(1)) IS NULL OR sha256 = \(placeholder(1)))
     ORDER BY recorded_at DESC, id DESC
    """
  }

  static func releaseSQL(placeholder: (Int) -> String) -> String {
    "UPDATE files SET disposition = 'released' WHERE outcome = 'quarantined' AND sha256 = \(placeholder(1))"
  }

  /// The end of the last run that completed (exit 0 or 65).
  static let lastSuccessSQL = """
    SELECT MAX(finished_at) FROM runs WHERE status = 'completed' AND exit_code IN (0, 65)
    """

  /// The first day whose deposits are not yet over the holding age limit, as `YYYY-MM-DD`.
  static func overAgeCutoff(maxAgeDays: Int, now: Date) -> String {
    let today = CalendarDate.dayNumber(String(Timestamp.format(now).prefix(10))) ?? 0
    return CalendarDate.day(fromNumber: today - maxAgeDays)
  }

  /// Every deposit in identity order (its primary key's, with no sort),
  /// its file's id for its day, then its keys and twin number.
  static func scanDepositsSQL(_ cursors: LedgerCursors) -> String {
    let order = ["order_key", "line_key"].map { $0 + cursors.collation }
    return """
      SELECT web_order_id, line_number, sku, smart_account, virtual_account, quantity, status, file_id, source,
             order_key, line_key, twin
        FROM deposits
       ORDER BY \(order.joined(separator: ", ")), twin
      """
  }

  /// Each file's id and the UTC day it was recorded, by id.
  static let fileDaysSQL = "SELECT id, substr(recorded_at, 1, 10) FROM files ORDER BY id"

  /// The registry's spelling of each virtual account, with its key.
  static let virtualAccountNamesSQL = "SELECT smart_account, name_key, name FROM virtual_accounts"

  /// Lines rejected and never deposited since: the latest reject of each
  /// identity, in identity order, then its keys; parameters 1 since, 2 until.
  static func reconciliationRejectsSQL(_ cursors: LedgerCursors) -> String {
    let since = cursors.placeholder(1)
    let until = cursors.placeholder(2)
    return """
      SELECT r.web_order_id, r.line_number, r.sku, lower(r.smart_account), r.quantity, r.code,
             substr(COALESCE(runs.started_at, ''), 1, 10) AS day, f.sender, r.virtual_account, r.order_key, r.line_key
        FROM rejects r
        JOIN files f ON f.id = r.file_id AND f.format <> 'transfer'
        LEFT JOIN runs ON runs.id = r.run_id
       WHERE r.order_key <> ''
         AND r.id = (SELECT MAX(l.id) FROM rejects l WHERE l.order_key = r.order_key AND l.line_key = r.line_key)
         AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.order_key = r.order_key AND d.line_key = r.line_key)
         AND (\(since) IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) >= \(since))
         AND (\(until) IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) <= \(until))
       ORDER BY r.order_key\(cursors.collation), r.line_key\(cursors.collation)
      """
  }

  /// The journal of movements, as (SA, VA, SKU, available, held) rows.
  static let movementsSQL = """
    SELECT smart_account AS sa, virtual_account AS va, sku,
           CASE status WHEN 'available' THEN quantity ELSE 0 END AS available,
           CASE status WHEN 'held' THEN quantity ELSE 0 END AS held
      FROM deposits
    UNION ALL
    SELECT from_smart_account, from_virtual_account, sku, 0, -quantity FROM transfers
    UNION ALL
    SELECT to_smart_account, to_virtual_account, sku, quantity, 0 FROM transfers
    """

  /// The movements with the deposits already summed per SA, VA and SKU:
  /// the registry's VA names are then joined to a few rows per account,
  /// not to every deposit (4.8M deposits: 8.2 s instead of 11.3 s in the sqlite3 shell).
  static let groupedMovementsSQL = """
    SELECT smart_account AS sa, virtual_account AS va, sku,
           SUM(CASE status WHEN 'available' THEN quantity ELSE 0 END) AS available,
           SUM(CASE status WHEN 'held' THEN quantity ELSE 0 END) AS held
      FROM deposits GROUP BY smart_account, virtual_account, sku
    UNION ALL
    SELECT from_smart_account, from_virtual_account, sku, 0, -quantity FROM transfers
    UNION ALL
    SELECT to_smart_account, to_virtual_account, sku, quantity, 0 FROM transfers
    """

  /// Balances per SA, VA (in the registry's spelling) and SKU, from the movements.
  static func balancesSQL(_ cursors: LedgerCursors) -> String {
    let collation = cursors.collation
    return """
      SELECT m.sa, MIN(COALESCE(v.name, m.va)), m.sku, CAST(SUM(m.available) AS BIGINT), CAST(SUM(m.held) AS BIGINT)
        FROM (\(groupedMovementsSQL)) AS m
        LEFT JOIN virtual_accounts v ON v.smart_account = m.sa AND v.name_key = lower(m.va)
       GROUP BY m.sa, lower(m.va), m.sku
       ORDER BY m.sa\(collation), lower(m.va)\(collation), m.sku\(collation)
      """
  }

  /// Every transfer with the file it came in, by the identity of the held
  /// line it moved, then in the order applied; then the line's keys.
  static func transferTracesSQL(_ cursors: LedgerCursors) -> String {
    """
    SELECT t.transfer_id, t.source, t.from_smart_account, t.from_virtual_account, t.web_order_id, t.line_number,
           t.sku, t.quantity, t.to_smart_account, t.to_virtual_account, substr(t.applied_at, 1, 10),
           COALESCE(f.name, ''), t.order_key, t.line_key
      FROM transfers t LEFT JOIN files f ON f.id = t.file_id
     ORDER BY t.order_key\(cursors.collation), t.line_key\(cursors.collation), t.id
    """
  }

  /// A row of `transferTracesSQL`, with the keys of the line it moved.
  static func keyedTransferTrace(_ row: LedgerRow) throws -> (key: IdentityKey, trace: TransferTrace) {
    (
      IdentityKey(order: try row.string(12), line: try row.string(13)),
      transferTrace(
        transferID: try row.string(0), source: try row.string(1), fromSmartAccount: try row.string(2),
        fromVirtualAccount: try row.string(3), webOrderID: try row.string(4), lineNumber: try row.string(5),
        sku: try row.string(6), quantity: try row.int(7), toSmartAccount: try row.string(8),
        toVirtualAccount: try row.string(9), date: try row.string(10), file: try row.string(11))
    )
  }
  static func transferTrace(
    transferID: String, source: String, fromSmartAccount: String, fromVirtualAccount: String, webOrderID: String,
    lineNumber: String, sku: String, quantity: Int, toSmartAccount: String, toVirtualAccount: String, date: String,
    file: String
  ) -> TransferTrace {
    TransferTrace(
      transferID: transferID, source: source, fromSmartAccount: fromSmartAccount,
      fromVirtualAccount: fromVirtualAccount, webOrderID: webOrderID, lineNumber: lineNumber, sku: sku,
      quantity: quantity, toSmartAccount: toSmartAccount, toVirtualAccount: toVirtualAccount, date: date, file: file)
  }

  /// Balances split by where the licenses came from (`SourcedBalance`):
  /// deposits by their sender; a transfer out of a holding line counted
  /// against the sender of that line's deposit, and into the customer's
  /// account from the holding account. `collation` orders text the same way
  /// on every backend.
  static func balancesBySourceSQL(collation: String) -> String {
    """
    SELECT m.sa, MIN(COALESCE(v.name, m.va)), m.sku, m.via, m.from_sa, m.source,
           CAST(SUM(m.available) AS BIGINT), CAST(SUM(m.held) AS BIGINT)
      FROM (SELECT smart_account AS sa, virtual_account AS va, sku, 'deposit' AS via, '' AS from_sa, source,
                   SUM(CASE status WHEN 'available' THEN quantity ELSE 0 END) AS available,
                   SUM(CASE status WHEN 'held' THEN quantity ELSE 0 END) AS held
              FROM deposits GROUP BY smart_account, virtual_account, sku, source
            UNION ALL
            SELECT t.from_smart_account, t.from_virtual_account, t.sku, 'deposit', '', COALESCE(d.source, t.source),
                   0, -t.quantity
              FROM transfers t
              LEFT JOIN deposits d ON d.order_key = t.order_key AND d.line_key = t.line_key AND d.twin = 0
            UNION ALL
            SELECT to_smart_account, to_virtual_account, sku, 'transfer', from_smart_account, source, quantity, 0
              FROM transfers) AS m
      LEFT JOIN virtual_accounts v ON v.smart_account = m.sa AND v.name_key = lower(m.va)
     GROUP BY m.sa, lower(m.va), m.sku, m.via, m.from_sa, m.source
    HAVING SUM(m.available) <> 0 OR SUM(m.held) <> 0
     ORDER BY m.sa\(collation), lower(m.va)\(collation), m.sku\(collation), m.via\(collation), m.from_sa\(collation),
              m.source\(collation)
    """
  }

  /// Held deposits with what is left of them, oldest first, then by identity.
  static func heldLicensesSQL(_ cursors: LedgerCursors) -> String {
    let collation = cursors.collation
    return """
      SELECT sa, va, sku, web_order_id, line_number, held, day FROM (
        SELECT d.smart_account AS sa, d.virtual_account AS va, d.sku, d.web_order_id, d.line_number,
               d.quantity - COALESCE((SELECT SUM(t.quantity) FROM transfers t
                  WHERE t.order_key = d.order_key AND t.line_key = d.line_key AND d.twin = 0), 0) AS held,
               substr(f.recorded_at, 1, 10) AS day, f.recorded_at, d.order_key, d.line_key
          FROM deposits d JOIN files f ON f.id = d.file_id
         WHERE d.status = 'held') AS h
       WHERE held > 0
       ORDER BY recorded_at\(collation), order_key\(collation), line_key\(collation), line_number\(collation)
      """
  }

  static func heldLicenses(
    smartAccount: String, virtualAccount: String, sku: String, webOrderID: String, lineNumber: String, held: Int,
    day: String, asOf: String
  ) -> HeldLicenses? {
    guard held > 0 else { return nil }
    let today = CalendarDate.dayNumber(asOf) ?? 0
    return HeldLicenses(
      smartAccount: smartAccount, virtualAccount: virtualAccount, sku: sku, webOrderID: webOrderID,
      lineNumber: lineNumber, held: held, depositedOn: day, ageDays: today - (CalendarDate.dayNumber(day) ?? today))
  }

  /// Each twin with the deposit its identity keeps (see `IdentityCollision`).
  static var identityCollisionsSQL: String {
    func side(_ deposit: String, _ file: String) -> String {
      ["web_order_id", "line_number", "sku", "quantity", "smart_account", "virtual_account", "status"]
        .map { "\(deposit).\($0)" }.joined(separator: ", ") + ", \(file).name, \(file).run_id"
    }
    return """
      SELECT t.order_key, t.line_key, t.twin, \(side("k", "fk")), \(side("t", "ft"))
        FROM deposits t
        JOIN files ft ON ft.id = t.file_id
        LEFT JOIN deposits k ON k.order_key = t.order_key AND k.line_key = t.line_key AND k.twin = 0
        LEFT JOIN files fk ON fk.id = k.file_id
       WHERE t.twin > 0
       ORDER BY t.order_key, t.line_key, t.twin
      """
  }
}
