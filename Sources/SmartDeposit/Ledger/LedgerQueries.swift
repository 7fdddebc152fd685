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

  /// Every deposit with what was transferred on from it; `placeholder(n)`
  /// spells parameter n (1: since, 2: until) in the backend's syntax.
  static func reconciliationDepositsSQL(placeholder: (Int) -> String) -> String {
    let since = placeholder(1)
    let until = placeholder(2)
    return """
      SELECT d.web_order_id, d.line_number, d.sku, d.smart_account, d.virtual_account, d.quantity, d.status,
             substr(f.recorded_at, 1, 10) AS day, d.source,
             COALESCE((SELECT SUM(t.quantity) FROM transfers t
                        WHERE t.order_key = d.order_key AND t.line_key = d.line_key AND d.twin = 0), 0) AS moved
        FROM deposits d JOIN files f ON f.id = d.file_id
       WHERE (\(since) IS NULL OR substr(f.recorded_at, 1, 10) >= \(since))
         AND (\(until) IS NULL OR substr(f.recorded_at, 1, 10) <= \(until))
      """
  }

  /// Lines rejected and never deposited since: the latest reject of each identity.
  static func reconciliationRejectsSQL(placeholder: (Int) -> String) -> String {
    let since = placeholder(1)
    let until = placeholder(2)
    return """
      SELECT r.web_order_id, r.line_number, r.sku, r.smart_account, r.quantity, r.code,
             substr(COALESCE(runs.started_at, ''), 1, 10) AS day, f.sender
        FROM rejects r
        JOIN files f ON f.id = r.file_id AND f.format <> 'transfer'
        LEFT JOIN runs ON runs.id = r.run_id
       WHERE r.id IN (SELECT MAX(id) FROM rejects WHERE order_key <> '' GROUP BY order_key, line_key)
         AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.order_key = r.order_key AND d.line_key = r.line_key)
         AND (\(since) IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) >= \(since))
         AND (\(until) IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) <= \(until))
      """
  }

  static func depositLine(
    webOrderID: String, lineNumber: String, sku: String, smartAccount: String, virtualAccount: String,
    quantity: Int, status: String, day: String, source: String, moved: Int
  ) -> ReconciliationLine {
    let isHeld = status == DepositStatus.held.rawValue
    let state: String
    if !isHeld {
      state = "deposited"
    } else if moved == 0 {
      state = "held"
    } else if moved < quantity {
      state = "partially-transferred"
    } else {
      state = "transferred"
    }
    return ReconciliationLine(
      webOrderID: webOrderID, lineNumber: lineNumber, sku: sku, smartAccount: smartAccount,
      virtualAccount: virtualAccount, ordered: quantity, deposited: quantity, transferred: moved,
      held: isHeld ? quantity - moved : 0, status: state, reason: "", date: day, source: source)
  }

  static func rejectedLine(
    webOrderID: String, lineNumber: String, sku: String, smartAccount: String, quantity: Int?, code: String,
    day: String, source: String
  ) -> ReconciliationLine {
    ReconciliationLine(
      webOrderID: webOrderID, lineNumber: lineNumber, sku: sku, smartAccount: smartAccount, virtualAccount: "",
      ordered: quantity ?? 0, deposited: 0, transferred: 0, held: 0, status: "rejected", reason: code, date: day,
      source: source)
  }

  /// Order lines by identity, then as spelled: the same order from either backend.
  static func sorted(_ lines: [ReconciliationLine]) -> [ReconciliationLine] {
    lines.map { (LineIdentity(webOrderID: $0.webOrderID, lineNumber: $0.lineNumber), $0) }
      .sorted {
        ($0.0.order, $0.0.line, $0.1.webOrderID, $0.1.lineNumber, $0.1.status)
          < ($1.0.order, $1.0.line, $1.1.webOrderID, $1.1.lineNumber, $1.1.status)
      }
      .map(\.1)
  }

  /// Held deposits with what is left of them, oldest first (ties sorted in Swift).
  static let heldLicensesSQL = """
    SELECT d.smart_account, d.virtual_account, d.sku, d.web_order_id, d.line_number,
           d.quantity - COALESCE((SELECT SUM(t.quantity) FROM transfers t
              WHERE t.order_key = d.order_key AND t.line_key = d.line_key AND d.twin = 0), 0) AS held,
           substr(f.recorded_at, 1, 10) AS day, f.recorded_at, d.order_key, d.line_key, d.twin
      FROM deposits d JOIN files f ON f.id = d.file_id
     WHERE d.status = 'held'
    """

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

  /// Oldest first, then by identity: the same order from either backend.
  static func sorted(_ held: [(recordedAt: String, licenses: HeldLicenses)]) -> [HeldLicenses] {
    held.sorted {
      let left = LineIdentity(webOrderID: $0.licenses.webOrderID, lineNumber: $0.licenses.lineNumber)
      let right = LineIdentity(webOrderID: $1.licenses.webOrderID, lineNumber: $1.licenses.lineNumber)
      return ($0.recordedAt, left.order, left.line, $0.licenses.lineNumber)
        < ($1.recordedAt, right.order, right.line, $1.licenses.lineNumber)
    }.map(\.licenses)
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
