/// A Bloom filter of a file's web orders with two probes: those rejected,
/// so that a lookup of an order never rejected almost never reaches the
/// ledger, and those sent, so that an order rejected by a later line is
/// taken back only when it may have rows there.
///
/// One bit per byte of the file, at least 2^12 and at most 2^23 (1 MiB): a
/// file has fewer orders than it has bytes by two orders of magnitude, so a
/// false positive stays rarer than 1 in 2,000 up to the cap; at the cap,
/// about 1 in 7,000 with 50,000 orders (the rejected orders of a 5M-line
/// file with 1% bad lines), about 1 in 150 with 350,000 (every order of a
/// 1M-line file), about 1 in 80 with 500,000. Its size does not grow; it is
/// allocated with the first order inserted, so that a small file does not
/// clear a megabyte for nothing.
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

  mutating func insert<Bytes: Sequence<UInt8>>(_ order: Bytes) {
    if words.isEmpty { words = [UInt64](repeating: 0, count: bitCount >> 6) }
    let (first, second) = probes(order)
    words[first >> 6] |= 1 << UInt64(first & 63)
    words[second >> 6] |= 1 << UInt64(second & 63)
  }

  func mayContain<Bytes: Sequence<UInt8>>(_ order: Bytes) -> Bool {
    guard !words.isEmpty else { return false }
    let (first, second) = probes(order)
    return words[first >> 6] & (1 << UInt64(first & 63)) != 0 && words[second >> 6] & (1 << UInt64(second & 63)) != 0
  }

  /// Two bit positions from the halves of the bytes' FNV-1a hash.
  private func probes<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> (Int, Int) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash &*= 0x100_0000_01b3
    }
    // A final mix, so that both halves depend on every byte.
    hash ^= hash >> 29
    hash &*= 0xbf58_476d_1ce4_e5b9
    hash ^= hash >> 32
    let mask = UInt64(bitCount - 1)
    return (Int(truncatingIfNeeded: hash & mask), Int(truncatingIfNeeded: (hash >> 32) & mask))
  }
}
