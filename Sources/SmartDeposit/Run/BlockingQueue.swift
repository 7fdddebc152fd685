import Foundation

/// A bounded queue between two threads: `put` waits while it is full, `take`
/// waits while it is empty. Either side can `close` it; the other then sees
/// `false` from `put` or `nil` from `take` once it is drained.
///
/// `@unchecked Sendable`: every access to the stored state happens while
/// holding `condition`'s lock.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  /// A ring of `capacity` slots; a slot is emptied as soon as its element is
  /// taken, so the queue never keeps a taken element alive.
  private var slots: [Element?]
  private var head = 0
  private var count = 0
  private let capacity: Int
  private var closed = false
  /// Threads asleep in `put` (for room) and in `take` (for an element): the
  /// other side wakes them, and nobody is woken when nobody sleeps.
  private var waitingProducers = 0
  private var waitingConsumers = 0

  init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
    slots = Array(repeating: nil, count: capacity)
  }

  /// Adds an element; returns false (dropping it) when the queue was closed.
  @discardableResult
  func put(_ element: Element) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while count == capacity && !closed {
      waitingProducers += 1
      condition.wait()
      waitingProducers -= 1
    }
    if closed { return false }
    slots[(head + count) % capacity] = element
    count += 1
    if waitingConsumers > 0 { condition.broadcast() }
    return true
  }

  /// The next element, or nil once the queue is closed and empty.
  func take() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while count == 0 && !closed {
      waitingConsumers += 1
      condition.wait()
      waitingConsumers -= 1
    }
    guard count > 0, let element = slots[head].take() else { return nil }
    head = (head + 1) % capacity
    count -= 1
    if waitingProducers > 0 { condition.broadcast() }
    return element
  }

  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }
}

/// Values one thread is done with, handed to another thread to be freed:
/// the writing side hands back each batch it has applied, and the reading
/// side drops them between its own batches, so that freeing a batch's
/// thousands of texts is not on the writing thread, which the others wait
/// for. Never blocks. At most `limit` values wait: past that (the reading
/// side is done with the file, or waits on a full queue) the one handing
/// back frees them itself, so that memory stays bounded.
///
/// `@unchecked Sendable`: every access to `values` happens while holding `lock`.
final class Disposal<Value: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Value] = []
  private let limit: Int

  init(limit: Int) { self.limit = limit }

  func handBack(_ value: consuming Value) {
    lock.lock()
    values.append(value)
    var taken: [Value] = []
    if values.count > limit { swap(&taken, &values) }
    lock.unlock()
    _ = consume taken
  }

  /// Frees, on the calling thread, what was handed back.
  func drop() {
    lock.lock()
    var taken: [Value] = []
    swap(&taken, &values)
    lock.unlock()
    _ = consume taken
  }
}
