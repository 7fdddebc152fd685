/// Eight bytes at a time: which bytes of a word are zero, or equal to a given
/// byte, found by the borrow a zero byte leaves when one is taken from each
/// byte (little-endian: the lowest flagged byte is always a true one, and a
/// word is flagged exactly when it holds one; only a byte above a true one
/// may be flagged wrongly). The CSV reader and writer and the COPY writer
/// scan with it.
enum WordBytes {
  static let ones: UInt64 = 0x0101_0101_0101_0101
  static let highs: UInt64 = 0x8080_8080_8080_8080

  /// The high bit of each zero byte of `word`.
  @inline(__always) static func zeros(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }

  /// The high bit of each byte of `word` equal to `byte`.
  @inline(__always) static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
    zeros(word ^ (ones &* UInt64(byte)))
  }
}
