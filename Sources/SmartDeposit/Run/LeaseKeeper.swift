import Foundation
import Logging

/// Renews a run's lease and its file claims on a thread of its own while
/// the run works, so that other runners know it is alive however long one
/// file takes.
final class LeaseKeeper: Sendable {
  /// Whether the keeper was told to stop, under its condition's lock.
  private final class State: @unchecked Sendable {
    // @unchecked: `stopped` is only read and written under `condition`'s lock.
    let condition = NSCondition()
    var stopped = false
  }

  private let state = State()
  private let finished = DispatchSemaphore(value: 0)

  init(every interval: Double, renew: @escaping @Sendable () throws -> Void, logger: Logger) {
    let state = state
    let finished = finished
    let thread = Thread {
      defer { finished.signal() }
      while true {
        state.condition.lock()
        let deadline = Date().addingTimeInterval(interval)
        while !state.stopped && state.condition.wait(until: deadline) {}
        let stop = state.stopped
        state.condition.unlock()
        if stop { return }
        do {
          try renew()
        } catch {
          logger.warning("could not renew the run's lease: \(error)")
        }
      }
    }
    thread.start()
  }

  /// Stops renewing and waits for the thread to end.
  func stop() {
    state.condition.lock()
    let already = state.stopped
    state.stopped = true
    state.condition.broadcast()
    state.condition.unlock()
    if !already { finished.wait() }
  }
}
