import Foundation

/// Distinct byte strings, each numbered in the order first seen: the
/// accounts, SKUs and senders of a ledger's millions of deposits are a few
/// thousand strings, looked up from the bytes a cursor reads in place.
struct ByteInterner {
  private var arena: [UInt8] = []
  /// Where string `n` starts in `arena`; one more entry for the end.
  private var starts: [Int32] = [0]
  private var hashes: [UInt64] = []
  /// Open addressing: a string's number plus one, 0 for an empty slot.
  private var slots: [Int32] = Array(repeating: 0, count: 1024)

  var count: Int { hashes.count }

  /// Memory held, in bytes.
  var footprint: Int { arena.capacity + 4 * starts.capacity + 8 * hashes.capacity + 4 * slots.capacity }

  /// The number of `bytes`, added if new.
  mutating func id(_ bytes: UnsafeRawBufferPointer) -> Int32 {
    let hash = Self.hash(bytes)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { break }
      let id = Int(entry - 1)
      if hashes[id] == hash && equals(id, bytes) { return Int32(id) }
      slot = (slot + 1) & mask
    }
    let id = Int32(hashes.count)
    arena.append(contentsOf: bytes)
    starts.append(Int32(arena.count))
    hashes.append(hash)
    slots[slot] = id + 1
    if hashes.count * 2 > slots.count { grow() }
    return id
  }

  /// The number of `bytes`, or nil when they were never added.
  func find(_ bytes: UnsafeRawBufferPointer) -> Int32? {
    let hash = Self.hash(bytes)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return nil }
      let id = Int(entry - 1)
      if hashes[id] == hash && equals(id, bytes) { return Int32(id) }
      slot = (slot + 1) & mask
    }
  }

  func find(_ text: String) -> Int32? {
    var text = text
    return text.withUTF8 { find(UnsafeRawBufferPointer($0)) }
  }

  mutating func id(_ text: String) -> Int32 {
    var text = text
    return text.withUTF8 { id(UnsafeRawBufferPointer($0)) }
  }

  /// The bytes of string `id`.
  func withBytes<T>(_ id: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    let start = Int(starts[Int(id)])
    let end = Int(starts[Int(id) + 1])
    return try arena.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
  }

  func string(_ id: Int32) -> String { withBytes(id) { String(decoding: $0, as: UTF8.self) } }

  /// Every string's rank in bytewise order (equal strings never occur).
  func ranks() -> [Int32] {
    let order = arena.withUnsafeBytes { arena -> [Int32] in
      (0..<Int32(count)).sorted { left, right in
        let a = UnsafeRawBufferPointer(rebasing: arena[Int(starts[Int(left)])..<Int(starts[Int(left) + 1])])
        let b = UnsafeRawBufferPointer(rebasing: arena[Int(starts[Int(right)])..<Int(starts[Int(right) + 1])])
        return a.lexicographicallyPrecedes(b)
      }
    }
    var ranks = [Int32](repeating: 0, count: count)
    for (rank, id) in order.enumerated() { ranks[Int(id)] = Int32(rank) }
    return ranks
  }

  private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let start = Int(starts[id])
    let length = Int(starts[id + 1]) - start
    guard length == bytes.count else { return false }
    return arena.withUnsafeBytes {
      compareBytes(UnsafeRawBufferPointer(rebasing: $0[start..<start + length]), bytes) == 0
    }
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (id, hash) in hashes.enumerated() {
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(id + 1)
    }
  }

  /// A hash of the bytes, eight at a time.
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    var index = 0
    while index + 8 <= bytes.count {
      hash = mix(hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
      index += 8
    }
    if index < bytes.count {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while index < bytes.count {
        tail |= UInt64(bytes[index]) << shift
        shift += 8
        index += 1
      }
      hash = mix(hash ^ tail)
    }
    return mix(hash)
  }

  @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
    var value = value &* 0xFF51_AFD7_ED55_8CCD
    value ^= value >> 32
    return value
  }
}
