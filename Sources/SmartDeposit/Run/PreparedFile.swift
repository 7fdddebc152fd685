import Foundation

/// The reading and preparing stages of one file, under way: what they hand
/// over waits in their queues for the file's turn at the ledger.
public final class PreparedFile: @unchecked Sendable {
  // Immutable after init; the queues are thread-safe.
  let file: InboxFile
  let reporting: Bool
  let records: BlockingQueue<ReadMessage>
  let events: BlockingQueue<ParseMessage>
  /// Batches the writing side has applied, freed by the reading side.
  let spent: Disposal<DepositBatch>

  /// Left by each stage's thread as it ends.
  private let running = DispatchGroup()

  init(file: InboxFile, reporting: Bool, queueDepth: Int) {
    self.file = file
    self.reporting = reporting
    records = BlockingQueue(capacity: queueDepth)
    events = BlockingQueue(capacity: queueDepth)
    // As many lines wait to be freed as half a queue holds.
    spent = Disposal(limit: max(1, queueDepth / 2))
  }

  /// Starts a stage on a thread of its own (one kept from an earlier stage, if any).
  func start(_ stage: @escaping @Sendable () -> Void) {
    running.enter()
    StageThreads.shared.run { [running] in
      stage()
      running.leave()
    }
  }

  /// Marks a stage that the caller runs on a thread of its own choosing
  /// (see `Prefetcher`); `stop` waits for its `endStage`.
  func beginStage() { running.enter() }
  func endStage() { running.leave() }

  /// Tells both stages to stop (a no-op once they have stopped).
  public func cancel() {
    events.close()
    records.close()
  }

  /// Stops both stages and waits until their threads have ended: called
  /// before the file is moved, and before the run ends.
  public func stop() {
    cancel()
    running.wait()
  }

  deinit { stop() }
}

/// What the reading stage sends: batches of records, then how the file ended.
enum ReadMessage: Sendable {
  case records([ParsedRecord])
  case finished(digest: String, bytes: Int64)
  case failed(IngestError)
}

/// What the preparing stage sends: batches of events, then how the file ended.
enum ParseMessage: Sendable {
  case events(DepositBatch)
  /// The file's hash and size, and what its deposits would add per account
  /// if every one of them is new.
  case finished(digest: String, bytes: Int64, totals: AccountTotals)
  case failed(IngestError)
}
