/// A report row written into fixed space before it is appended whole to
/// its batch's bytes: an array's `append(contentsOf:)` cost 120 to 190
/// instructions a call, and a deposit row made 13 of them. `overflowed`
/// says the row did not fit; what was written is then to be thrown away.
struct RowScratch {
  private let space: UnsafeMutableBufferPointer<UInt8>
  private(set) var count = 0
  private(set) var overflowed = false

  init(_ space: UnsafeMutableBufferPointer<UInt8>) { self.space = space }

  var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: space[..<count]) }

  mutating func append(_ byte: UInt8) {
    guard count < space.count else {
      overflowed = true
      return
    }
    space[count] = byte
    count += 1
  }

  mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard !bytes.isEmpty else { return }
    guard bytes.count <= space.count - count else {
      overflowed = true
      return
    }
    _ = UnsafeMutableBufferPointer(rebasing: space[count..<(count + bytes.count)]).initialize(fromContentsOf: bytes)
    count += bytes.count
  }
}
