/// A Bloom filter of a file's web orders with two probes: those rejected,
/// so that a lookup of an order never rejected almost never reaches the
/// ledger, and those sent, so that an order rejected by a later line is
/// taken back only when it may have rows there.
///
/// One bit per byte of the file, at least 2^12 and at most 2^23 (1 MiB): a
/// file has fewer orders than it has bytes by two orders of magnitude, so a
/// false positive stays rarer than 1 in 2,000 up to the cap. Both probes of
/// an order fall in one 64-byte block, one cache line (two lines missed per
/// order were most of the filter's cost once it outgrew the cache); at the
/// cap that makes a false positive about 1 in 5,400 with 50,000 orders (the
/// rejected orders of a 5M-line file with 1% bad lines) instead of 1 in
/// 7,100, about 1 in 150 with 350,000 (every order of a 1M-line file), about
/// 1 in 77 with 500,000. Its size does not grow; it is allocated with the
/// first order inserted, so that a small file does not clear a megabyte for
/// nothing.
struct WebOrderFilter {
  private var words: [UInt64] = []
  private let bitCount: Int

  /// `compressed`: the file's size is that of a gzip or zip stream, which
  /// holds about 8 times as many bytes once read.
  init(fileSize: Int64, compressed: Bool = false) {
    let bytes = compressed ? fileSize.multipliedReportingOverflow(by: 8).partialValue : fileSize
    var bits = 1 << 12
    while bits < (1 << 23) && Int64(bits) < bytes { bits <<= 1 }
    bitCount = bits
  }

  mutating func insert(_ order: UnsafeRawBufferPointer) {
    if words.isEmpty { words = [UInt64](repeating: 0, count: bitCount >> 6) }
    let (first, second) = probes(order)
    words.withUnsafeMutableBufferPointer { words in
      words[first >> 6] |= 1 << UInt64(first & 63)
      words[second >> 6] |= 1 << UInt64(second & 63)
    }
  }

  mutating func insert(_ order: String.UTF8View) {
    Self.withBytes(order) { insert($0) }
  }

  func mayContain(_ order: UnsafeRawBufferPointer) -> Bool {
    guard !words.isEmpty else { return false }
    let (first, second) = probes(order)
    return words.withUnsafeBufferPointer { words in
      words[first >> 6] & (1 << UInt64(first & 63)) != 0 && words[second >> 6] & (1 << UInt64(second & 63)) != 0
    }
  }

  func mayContain(_ order: String.UTF8View) -> Bool {
    Self.withBytes(order) { mayContain($0) }
  }

  private static func withBytes<T>(_ text: String.UTF8View, _ body: (UnsafeRawBufferPointer) -> T) -> T {
    if let result = text.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
    return Array(text).withUnsafeBytes(body)
  }

  /// Two bit positions in one 512-bit block: the block from the hash's low
  /// bits, each position from nine of its high bits.
  private func probes(_ bytes: UnsafeRawBufferPointer) -> (Int, Int) {
    let hash = ByteInterner.hash(bytes)
    let blocks = UInt64(bitCount >> 9)
    let base = Int(truncatingIfNeeded: hash & (blocks - 1)) << 9
    return (base | Int(truncatingIfNeeded: (hash >> 32) & 511), base | Int(truncatingIfNeeded: (hash >> 41) & 511))
  }
}
