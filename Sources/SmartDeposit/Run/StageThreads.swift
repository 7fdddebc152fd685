import Foundation

/// Threads for the reading and preparing stages, kept for the next file once
/// a stage ends: a drop of 2,000 small files otherwise started and ended
/// 4,000 threads, each with its own 1 MiB stack (clone, mmap, munmap, exit).
///
/// A stage always gets a thread at once: an idle one if there is one, a new
/// one otherwise, since stages wait on each other and must never queue
/// behind one another. Idle threads beyond `keptIdle` end.
///
/// `@unchecked Sendable`: every access to the stored state happens while
/// holding `condition`'s lock.
final class StageThreads: @unchecked Sendable {
  static let shared = StageThreads()

  private let condition = NSCondition()
  /// Work handed to idle threads, taken by the first one to wake.
  private var waiting: [@Sendable () -> Void] = []
  private var idle = 0
  private let keptIdle = 4

  /// Runs `work` on a thread of its own, now.
  func run(_ work: @escaping @Sendable () -> Void) {
    condition.lock()
    if idle > waiting.count {
      waiting.append(work)
      condition.signal()
      condition.unlock()
      return
    }
    condition.unlock()
    let thread = Thread { [self] in loop(first: work) }
    thread.stackSize = 1 << 20
    thread.start()
  }

  private func loop(first: @escaping @Sendable () -> Void) {
    var next: (@Sendable () -> Void)? = first
    while true {
      // Run, then let go of the work (and what it holds) before waiting.
      next.take()?()
      condition.lock()
      idle += 1
      while waiting.isEmpty {
        if idle > keptIdle {
          idle -= 1
          condition.unlock()
          return
        }
        condition.wait()
      }
      idle -= 1
      next = waiting.removeFirst()
      condition.unlock()
    }
  }
}
