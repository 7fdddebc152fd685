import Foundation

/// Reads and prepares the small files of a drop ahead of their turn at the
/// ledger, one after another on one thread of its own, both stages of a
/// file on that thread.
///
/// A file of a few lines costs little to read and prepare, but starting two
/// stage threads for it, and waking each of them, cost the ledger's thread
/// more than that: 22% of its time in a run over 2,000 files of 50 lines.
/// Here the thread works down the list while the run takes the files in the
/// same order, and it is woken only once half of what it may hold ahead has
/// been taken.
///
/// What it holds ahead is bounded: at most `mostFiles` files, and at most
/// `mostBytes` of input among them, so that memory does not grow with the drop.
///
/// `@unchecked Sendable`: every access to the stored state happens while
/// holding `condition`'s lock.
final class Prefetcher: @unchecked Sendable {
  static let mostFiles = 32
  static let mostBytes: Int64 = 1 << 20

  private let condition = NSCondition()
  private var ready: [PreparedFile] = []
  private var readyBytes: Int64 = 0
  private var stopped = false
  /// Set while the thread waits for room, so that the run wakes it only then.
  private var waitingForRoom = false
  private let done = DispatchGroup()

  /// Starts preparing `files`, in order.
  init(files: [InboxFile], processor: OrderFileProcessor, runID: String) {
    var processor = processor
    processor.progress = nil
    done.enter()
    StageThreads.shared.run { [self, processor] in
      defer { done.leave() }
      for file in files {
        let prepared = PreparedFile(file: file, reporting: true, queueDepth: processor.queueDepth)
        prepared.beginStage()
        guard hand(prepared) else {
          prepared.endStage()
          return
        }
        processor.readAndPrepare(file, into: prepared, runID: runID)
        prepared.endStage()
      }
    }
  }

  /// Waits for room ahead, then hands `prepared` over; false once stopped.
  private func hand(_ prepared: PreparedFile) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    if isFull {
      // Woken when half the room is free again, not for every file taken.
      waitingForRoom = true
      while !stopped && (ready.count > Self.mostFiles / 2 || readyBytes > Self.mostBytes / 2) {
        condition.wait()
      }
      waitingForRoom = false
    }
    if stopped { return false }
    ready.append(prepared)
    readyBytes += prepared.file.size
    condition.broadcast()
    return true
  }

  private var isFull: Bool { ready.count >= Self.mostFiles || readyBytes >= Self.mostBytes }

  /// The prepared stages of `file`, which must be the next file of the list.
  func take(_ file: InboxFile) -> PreparedFile? {
    condition.lock()
    defer { condition.unlock() }
    while ready.isEmpty && !stopped { condition.wait() }
    guard !ready.isEmpty else { return nil }
    let prepared = ready.removeFirst()
    readyBytes -= prepared.file.size
    if waitingForRoom && ready.count <= Self.mostFiles / 2 && readyBytes <= Self.mostBytes / 2 {
      condition.broadcast()
    }
    guard prepared.file.path == file.path else {
      prepared.cancel()
      return nil
    }
    return prepared
  }

  /// Stops preparing and waits until the thread has ended; what it had
  /// prepared and not handed over is dropped.
  func stop() {
    condition.lock()
    stopped = true
    let left = ready
    ready = []
    condition.broadcast()
    condition.unlock()
    for prepared in left { prepared.cancel() }
    done.wait()
    for prepared in left { prepared.stop() }
  }

  deinit { stop() }
}
