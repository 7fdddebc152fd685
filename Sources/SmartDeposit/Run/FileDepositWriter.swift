/// The ledger side of one file: takes its batches in file order, sends each
/// batch's deposits to the ledger in one call, and applies order atomicity
/// and the report to what comes back.
///
/// Order atomicity, without holding an order in memory: a line of an order
/// rejected in this file, by a line before it or by a line of its own batch,
/// is rejected as `order-rejected` without reaching the ledger. When a line
/// is rejected (by validation, or by the ledger as a conflict), the order's
/// rows this file deposited are taken back (`withdrawOrders`, once for all
/// the orders a batch rejected, at its end) and listed as `order-rejected`:
/// rows of earlier batches, and rows of a batch in which the ledger found a
/// conflict. Rows of a batch that lie after a conflict in the same batch
/// were deposited with it: they are passed over when their turn comes and
/// are among the rows taken back.
///
/// Report rows of the order being read are held back until the next order
/// starts, so that the common case, a bad line rejecting the order it
/// belongs to, never has to take rows back out of the report.
struct FileDepositWriter {
  let session: DepositSession
  let file: String
  let atomicity: Atomicity
  let report: ReportSink?
  private(set) var counts = LineCounts()
  /// Whether any order of this file was rejected yet. The rejected orders
  /// themselves are the ledger's rejects of this file (and, within the
  /// batch being applied, `rejectedInBatch`), so that memory does not grow
  /// with them.
  private var anyOrderRejected = false
  /// The rejected web orders, as a filter: most lines belong to orders never
  /// rejected, and the filter says so without asking the ledger.
  private var rejectedBits: WebOrderFilter
  /// The web orders of which rows were sent to the ledger, as a filter: an
  /// order that a line rejects has nothing to take back unless it may be
  /// among them.
  private var sentBits: WebOrderFilter
  /// Orders (by key) known to be rejected while the current batch is applied.
  private var rejectedInBatch: Set<String> = []
  /// Rejects not yet sent to the ledger (sent at the end of each batch).
  private var pendingRejects: [Reject] = []
  /// The orders the current batch rejected, by key, with the line that
  /// rejected each and its report rows held back then: what they deposited
  /// is taken back in one call at the end of the batch.
  private var withdrawals: [String: (cause: Reject, heldBack: Int)] = [:]
  /// Deposits the parsing stage counted in its totals that the ledger did
  /// not take (duplicates, conflicts, lines of rejected orders).
  private(set) var notDeposited = AccountTotals()
  /// The web order (its key) whose report rows are held back, and those rows.
  private var pendingOrder: [UInt8] = []
  private var pendingRows: [UInt8] = []
  private var pendingCount = 0
  /// Set when an order was rejected after some of its rows were reported.
  private(set) var reportNeedsRewrite = false
  /// Set when a reject came for a line above rejects already reported: the
  /// file's rejects are then reported again from the ledger at its end.
  private(set) var rejectsNeedRewrite = false
  /// The line of the last reject reported.
  private var lastReportedRecord = 0

  init(session: DepositSession, file: String, size: Int64, atomicity: Atomicity, report: ReportSink?) {
    self.session = session
    self.file = file
    let name = file.lowercased()
    let orders = WebOrderFilter(fileSize: size, compressed: name.hasSuffix(".gz") || name.hasSuffix(".xlsx"))
    rejectedBits = orders
    sentBits = orders
    self.atomicity = atomicity
    self.report = report
    pendingRows.reserveCapacity(4096)
  }

  /// Applies one batch, in file order.
  mutating func apply(_ batch: DepositBatch) throws {
    rejectedInBatch = try ordersRejectedBefore(batch)
    // The orders a line of this batch rejects, each with the first line that
    // does, and the deposits not to send: those of an order rejected before
    // this batch or by any line of it.
    var causes: [String: Reject] = [:]
    var held: [Int] = []
    if atomicity == .order {
      for event in batch.events {
        guard case .reject(let reject) = event else { continue }
        let order = LineIdentity.orderKey(reject.webOrderID)
        if !order.isEmpty && !rejectedInBatch.contains(order) && causes[order] == nil { causes[order] = reject }
      }
      if !causes.isEmpty || !rejectedInBatch.isEmpty {
        // The lines of an order follow one another: the sets are asked once per order.
        var memo = OrderMemo<Bool>()
        for event in batch.events {
          guard case .deposit(let index) = event else { continue }
          if memo.answer(for: index, in: batch.rows, { causes[$0] != nil || rejectedInBatch.contains($0) }) {
            held.append(index)
          }
        }
      }
    }
    // `sent[index]`: where deposit `index` is in what was sent, -1 if it was not.
    var sent: [Int]
    let outcomes: [DepositOutcome]
    if held.isEmpty {
      sent = Array(0..<batch.rows.count)
      noteSent(batch.rows)
      outcomes = batch.rows.isEmpty ? [] : try session.deposit(batch.rows)
    } else {
      sent = Array(repeating: -1, count: batch.rows.count)
      var next = held.makeIterator()
      var skip = next.next()
      var position = 0
      for index in 0..<batch.rows.count {
        if index == skip {
          skip = next.next()
          continue
        }
        sent[index] = position
        position += 1
      }
      let toSend = batch.rows.without(held)
      noteSent(toSend)
      outcomes = toSend.isEmpty ? [] : try session.deposit(toSend)
    }
    // Whether a deposit's order is being withdrawn, and whether it is
    // rejected in this batch: asked once per order, and again after a
    // reject that may have changed either answer.
    var memo = OrderMemo<(withdrawn: Bool, rejected: Bool, cause: Reject?)>()
    for event in batch.events {
      counts.read += 1
      switch event {
      case .reject(let reject):
        self.reject(reject)
        memo.forget()
      case .deposit(let index):
        let order =
          withdrawals.isEmpty && rejectedInBatch.isEmpty && causes.isEmpty
          ? (withdrawn: false, rejected: false, cause: nil)
          : memo.answer(for: index, in: batch.rows) { key in
            (withdrawals[key] != nil, rejectedInBatch.contains(key), causes[key])
          }
        if order.withdrawn, sent[index] >= 0, case .deposited = outcomes[sent[index]] {
          // Deposited with its batch after a line that rejected its order:
          // taken back with the order at the end of the batch.
          continue
        }
        if atomicity == .order && (sent[index] < 0 || order.rejected) {
          let deposit = batch.rows.deposit(at: index)
          notTaken(deposit)
          if let cause = order.cause, deposit.record < cause.record {
            // A line above the one that rejects its order: rejected as if
            // deposited and taken back with the order, naming that line.
            if !order.rejected {
              rejectOrder(LineIdentity.orderKey(cause.webOrderID), cause: cause)
              memo.forget()
            }
            reject(
              rejection(
                of: deposit, written: batch.written(ofDeposit: index), code: .orderRejected,
                message: Self.withdrawnMessage(cause)))
          } else {
            reject(
              rejection(
                of: deposit, written: batch.written(ofDeposit: index), code: .orderRejected,
                message: "web order \(deposit.webOrderID) was rejected because another of its lines was"))
          }
          continue
        }
        switch outcomes[sent[index]] {
        case .deposited:
          counts.add(quantity: batch.rows.quantity(at: index), held: batch.rows.isHeld(at: index))
          if report != nil {
            if !batch.rows.withBytes(.orderKey, at: index, { $0.elementsEqual(pendingOrder) }) {
              try flushReport()
              pendingOrder.removeAll(keepingCapacity: true)
              batch.rows.withBytes(.orderKey, at: index) { pendingOrder.append(contentsOf: $0) }
            }
            batch.withReportRow(index) { pendingRows.append(contentsOf: $0) }
            pendingCount += 1
          }
        case .duplicate:
          counts.duplicate += 1
          notTaken(batch.rows.deposit(at: index))
        case .conflicting(let existing):
          memo.forget()
          let deposit = batch.rows.deposit(at: index)
          notTaken(deposit)
          reject(
            rejection(
              of: deposit, written: batch.written(ofDeposit: index), code: .conflictingLine,
              message:
                "web order \(deposit.webOrderID) line \(deposit.lineNumber) was already deposited with different content (\(existing.quantity) x \(existing.sku) into \(existing.smartAccount)/\(existing.virtualAccount))"
            ))
        }
      }
    }
    try withdrawRejectedOrders(in: batch)
    try flushRejects()
    rejectedInBatch.removeAll(keepingCapacity: true)
  }

  /// Takes back what the orders rejected in this batch deposited from this
  /// file, and rejects those lines too, each naming the line that rejected
  /// its order.
  private mutating func withdrawRejectedOrders(in batch: DepositBatch) throws {
    guard !withdrawals.isEmpty else { return }
    var reported: [String: Int] = [:]
    for withdrawn in try session.withdrawOrders(Array(withdrawals.keys)) {
      let order = LineIdentity.orderKey(withdrawn.webOrderID)
      guard let cause = withdrawals[order]?.cause else { continue }
      // A row after the rejecting line was passed over, never counted.
      if withdrawn.record <= cause.record {
        counts.add(withdrawn, sign: -1)
        reported[order, default: 0] += 1
      }
      notTaken(withdrawn)
      pendingRejects.append(
        rejection(
          of: withdrawn, written: batch.written(atRecord: withdrawn.record), code: .orderRejected,
          message: Self.withdrawnMessage(cause)))
      counts.rejected += 1
      counts.rejectsByCode[.orderRejected, default: 0] += 1
    }
    for (order, withdrawal) in withdrawals where reported[order, default: 0] > withdrawal.heldBack {
      reportNeedsRewrite = true
    }
    withdrawals.removeAll(keepingCapacity: true)
  }

  /// Sends the rejects not yet recorded to the ledger, in the order of
  /// their lines, and reports them while they still follow the file's
  /// rejects already reported in that order (`rejects.csv` lists a file's
  /// rejects as the ledger does: by line, then as recorded).
  mutating func flushRejects() throws {
    guard !pendingRejects.isEmpty else { return }
    // The lines an order's withdrawal rejects come after the batch's other
    // rejects, though they are earlier in the file. (The sort is stable:
    // rejects of one line keep the order they were made in.)
    pendingRejects.sort { $0.record < $1.record }
    try session.recordRejects(pendingRejects)
    if let report, !rejectsNeedRewrite {
      if pendingRejects[0].record < lastReportedRecord {
        // An order withdrawn across batches: lines above those reported.
        rejectsNeedRewrite = true
      } else {
        for reject in pendingRejects { try report.reject(reject) }
        lastReportedRecord = pendingRejects[pendingRejects.count - 1].record
      }
    }
    pendingRejects.removeAll(keepingCapacity: true)
  }

  mutating func flushReport() throws {
    if let report, pendingCount > 0 {
      try pendingRows.withUnsafeBytes { try report.depositRows($0) }
    }
    pendingRows.removeAll(keepingCapacity: true)
    pendingCount = 0
  }

  /// The orders of this batch already rejected in this file by an earlier
  /// batch: asked of the ledger in one call, and only for orders the filter
  /// cannot rule out.
  private func ordersRejectedBefore(_ batch: DepositBatch) throws -> Set<String> {
    guard atomicity == .order, anyOrderRejected else { return [] }
    var candidates: Set<String> = []
    batch.rows.bytes.withUnsafeBytes { bytes in
      // The lines of an order follow one another: the filter is asked once
      // per order, and the key's bytes are read in place (a text only for
      // the few keys the filter cannot rule out).
      var previous: Range<Int> = 0..<0
      for event in batch.events {
        switch event {
        case .reject(let reject):
          let key = LineIdentity.orderKey(reject.webOrderID)
          if !key.isEmpty, rejectedBits.mayContain(key.utf8) { candidates.insert(key) }
        case .deposit(let index):
          let range = batch.rows.range(.orderKey, at: index)
          if range.isEmpty || batch.rows.bytesEqual(range, previous) { continue }
          previous = range
          let key = UnsafeRawBufferPointer(rebasing: bytes[range])
          if rejectedBits.mayContain(key) { candidates.insert(String(decoding: key, as: UTF8.self)) }
        }
      }
    }
    return candidates.isEmpty ? [] : try session.rejectedOrders(among: candidates)
  }

  /// The reason given for a line of an order that `cause` rejected, above `cause`.
  private static func withdrawnMessage(_ cause: Reject) -> String {
    "web order \(cause.webOrderID) was rejected because line \(cause.lineNumber) was (\(cause.code.rawValue))"
  }

  /// Notes the orders of rows about to be sent (the lines of an order
  /// follow one another: each order once per run of its lines).
  private mutating func noteSent(_ rows: DepositRows) {
    guard atomicity == .order, !rows.isEmpty else { return }
    rows.bytes.withUnsafeBytes { bytes in
      var previous: Range<Int> = 0..<0
      for index in 0..<rows.count {
        let range = rows.range(.orderKey, at: index)
        if rows.bytesEqual(range, previous) { continue }
        previous = range
        sentBits.insert(UnsafeRawBufferPointer(rebasing: bytes[range]))
      }
    }
  }

  private mutating func notTaken(_ deposit: Deposit) {
    notDeposited.add(
      smartAccount: deposit.smartAccount, virtualAccount: deposit.virtualAccount, quantity: deposit.quantity,
      held: deposit.status == .held)
  }

  /// The reject of a line that passed validation, shown as its file wrote
  /// it where the batch still has the line (else as it was deposited).
  private func rejection(of deposit: Deposit, written: WrittenLine?, code: RejectCode, message: String) -> Reject {
    Reject(
      file: file, record: deposit.record, webOrderID: deposit.webOrderID, lineNumber: deposit.lineNumber, code: code,
      message: message, written: written ?? WrittenLine(deposit))
  }

  /// Records a rejected line; under order atomicity, also rejects its order.
  private mutating func reject(_ reject: Reject) {
    let order = LineIdentity.orderKey(reject.webOrderID)
    pendingRejects.append(reject)
    counts.rejected += 1
    counts.rejectsByCode[reject.code, default: 0] += 1
    if atomicity == .order && !order.isEmpty && !rejectedInBatch.contains(order) {
      rejectOrder(order, cause: reject)
    }
  }

  /// Rejects an order, `cause` being the line that does: its report rows
  /// held back are dropped, and what it may have deposited is taken back at
  /// the end of the batch.
  private mutating func rejectOrder(_ order: String, cause: Reject) {
    anyOrderRejected = true
    rejectedBits.insert(order.utf8)
    rejectedInBatch.insert(order)
    let isPending = pendingCount > 0 && pendingOrder.elementsEqual(order.utf8)
    // Something to take back: rows sent with a conflict the ledger found,
    // or rows of earlier batches. (A line of this batch that rejects its
    // order kept the order's other rows of the batch from being sent.)
    if cause.code == .conflictingLine || sentBits.mayContain(order.utf8) {
      withdrawals[order] = (cause, isPending ? pendingCount : 0)
    }
    if isPending {
      pendingRows.removeAll(keepingCapacity: true)
      pendingCount = 0
    }
  }
}

/// The last answer asked about a deposit's order, kept while the deposits
/// that follow belong to the same order (their keys' bytes are compared in
/// place; the key becomes a text only when the order changes).
struct OrderMemo<Answer> {
  private var key: Range<Int> = 0..<0
  private var answer: Answer?

  mutating func forget() { answer = nil }

  mutating func answer(for index: Int, in rows: DepositRows, _ ask: (String) -> Answer) -> Answer {
    let range = rows.range(.orderKey, at: index)
    if let answer, rows.bytesEqual(range, key) { return answer }
    let found = ask(rows.string(.orderKey, at: index))
    key = range
    answer = found
    return found
  }
}
