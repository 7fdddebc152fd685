import Foundation

/// A bounded queue between two threads: `put` waits while it is full, `take`
/// waits while it is empty. Either side can `close` it; the other then sees
/// `false` from `put` or `nil` from `take` once it is drained.
///
/// `@unchecked Sendable`: every access to the stored state happens while
/// holding `condition`'s lock.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var items: [Element] = []
  private var head = 0
  private let capacity: Int
  private var closed = false

  init(capacity: Int) {
    self.capacity = capacity
  }

  /// Adds an element; returns false (dropping it) when the queue was closed.
  @discardableResult
  func put(_ element: Element) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while items.count - head >= capacity && !closed { condition.wait() }
    if closed { return false }
    items.append(element)
    condition.broadcast()
    return true
  }

  /// The next element, or nil once the queue is closed and empty.
  func take() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while head == items.count && !closed { condition.wait() }
    guard head < items.count else { return nil }
    let element = items[head]
    head += 1
    if head > 64 && head * 2 > items.count {
      items.removeFirst(head)
      head = 0
    }
    condition.broadcast()
    return element
  }

  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }
}
