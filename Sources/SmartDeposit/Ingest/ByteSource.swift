import CSmartDepositZlib
import Crypto
import Foundation

/// Reads one input file's bytes, inflating gzip when the name says so,
/// hashing the raw bytes as they pass and enforcing the size limit.
///
/// Each C resource it holds has an owner of its own (`OpenFile`,
/// `InflateStream`, `ByteBuffer`) that frees it exactly once, whether `init`
/// finishes or throws half way. It is used by one reader on one task at a
/// time.
public final class ByteSource {
  public let path: String
  public let displayName: String
  private let file: OpenFile
  private let gzip: Bool
  private let inflater: InflateStream?
  private var streamEnded = false
  private let rawStorage: ByteBuffer
  private var rawBuffer: UnsafeMutableRawBufferPointer { rawStorage.bytes }
  private var rawStart = 0
  private var rawEnd = 0
  private var rawEOF = false
  private var hasher = SHA256()
  private let maxBytes: Int64
  /// Raw bytes read from the file so far.
  public private(set) var rawBytesRead: Int64 = 0
  /// Bytes handed to the parser so far (inflated, for gzip).
  public private(set) var bytesDelivered: Int64 = 0
  /// Set once a read failed; the parser's error is then replaced by this one.
  public private(set) var failure: IngestError?

  private static let chunkSize = 256 << 10

  /// Opens `path` for reading; refuses anything that is not a regular file.
  public init(path: String, displayName: String, maxBytes: Int64) throws(IngestError) {
    self.path = path
    self.displayName = displayName
    self.maxBytes = maxBytes
    gzip = path.lowercased().hasSuffix(".gz")
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let reason = String(cString: strerror(errno))
      throw IngestError(.unreadable, file: displayName, message: "cannot open: \(reason)")
    }
    file = OpenFile(fd)
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      throw IngestError(.notRegularFile, file: displayName, message: "not a regular file; only plain files are read")
    }
    if Int64(info.st_size) > maxBytes {
      throw IngestError(
        .tooLarge, file: displayName,
        message: "the file has \(info.st_size) bytes, more than limits.max_file_bytes (\(maxBytes))")
    }
    // Reads block normally from here on; O_NONBLOCK only kept open() from hanging on a FIFO.
    _ = fcntl(fd, F_SETFL, 0)
    fileSize = Int64(info.st_size)
    rawStorage = ByteBuffer(count: Self.chunkSize)
    if gzip {
      guard let stream = InflateStream.gzip() else {
        throw IngestError(.unreadable, file: displayName, message: "cannot start gzip decompression")
      }
      inflater = stream
    } else {
      inflater = nil
    }
  }

  /// The descriptor the source reads, for a reader that needs the file by
  /// path (`/proc/self/fd/N`) and must get the very file that was checked.
  public var descriptor: Int32 { file.descriptor }
  /// The file's size when it was opened.
  public let fileSize: Int64

  /// The SHA-256 of every raw byte read so far, in lower-case hex. Call once
  /// the source is exhausted to get the file's identity.
  public func digest() -> String {
    lowercaseHex(hasher.finalize())
  }

  /// Fills `buffer` with the next bytes; 0 at the end. Throws on a read error,
  /// a corrupt or truncated gzip stream, or when the size limit is passed.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
    if let failure { throw failure }
    do throws(IngestError) {
      let count = gzip ? try inflateInto(buffer) : try readRaw(into: buffer)
      bytesDelivered += Int64(count)
      if bytesDelivered > maxBytes {
        throw IngestError(
          .tooLarge, file: displayName,
          message: "more than limits.max_file_bytes (\(maxBytes)) bytes after decompression")
      }
      return count
    } catch {
      failure = error
      throw error
    }
  }

  private func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    while true {
      let count = Foundation.read(file.descriptor, base, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw IngestError(.unreadable, file: displayName, message: "read failed: \(String(cString: strerror(errno)))")
      }
      if count > 0 {
        hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: count))
        rawBytesRead += Int64(count)
      }
      return count
    }
  }

  private func refillRaw() throws(IngestError) {
    let count = try readRaw(into: rawBuffer)
    rawStart = 0
    rawEnd = count
    if count == 0 { rawEOF = true }
  }

  private func inflateInto(_ buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0, let inflater else { return 0 }
    let stream = inflater.stream
    while true {
      if rawStart == rawEnd && !rawEOF { try refillRaw() }
      if streamEnded {
        // A gzip file may hold several members one after another.
        if rawStart == rawEnd && rawEOF { return 0 }
        inflateReset(stream)
        streamEnded = false
      }
      if rawStart == rawEnd && rawEOF {
        throw IngestError(
          .invalidGzip, file: displayName,
          message: "the gzip stream ends early (truncated after \(rawBytesRead) bytes)")
      }
      guard let raw = rawBuffer.baseAddress else { return 0 }
      stream.pointee.next_in = raw.advanced(by: rawStart).assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_in = uInt(rawEnd - rawStart)
      stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = uInt(buffer.count)
      let status = inflate(stream, Z_NO_FLUSH)
      rawStart = rawEnd - Int(stream.pointee.avail_in)
      let produced = buffer.count - Int(stream.pointee.avail_out)
      switch status {
      case Z_STREAM_END:
        streamEnded = true
      case Z_OK, Z_BUF_ERROR:
        break
      default:
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
        throw IngestError(.invalidGzip, file: displayName, message: "not valid gzip: \(detail)")
      }
      if produced > 0 { return produced }
    }
  }
}

/// An open file descriptor, closed once when its owner goes.
final class OpenFile {
  let descriptor: Int32
  init(_ descriptor: Int32) { self.descriptor = descriptor }
  deinit { close(descriptor) }
}

/// A zlib inflate stream at a fixed address: zlib keeps a pointer back to
/// the `z_stream` it was initialised with and checks it on every call, so
/// the struct must never move (a stored property passed as `&stream` may be
/// copied to a temporary).
final class InflateStream {
  let stream: UnsafeMutablePointer<z_stream>

  private init(_ stream: UnsafeMutablePointer<z_stream>) { self.stream = stream }

  /// Starts a stream that reads gzip; nil if zlib refuses (nothing is then held).
  static func gzip() -> InflateStream? {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    guard czlib_inflate_init_gzip(stream) == Z_OK else {
      stream.deinitialize(count: 1)
      stream.deallocate()
      return nil
    }
    return InflateStream(stream)
  }

  deinit {
    inflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
  }
}

/// A fixed buffer of bytes, freed once when its owner goes.
final class ByteBuffer {
  let bytes: UnsafeMutableRawBufferPointer
  init(count: Int) { bytes = .allocate(byteCount: count, alignment: 16) }
  deinit { bytes.deallocate() }
}

/// SHA-256 of a whole file, read in large chunks, in lower-case hex.
public func sha256OfFile(atPath path: String) throws -> String {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
  defer { close(fd) }
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
  defer { buffer.deallocate() }
  var hasher = SHA256()
  while true {
    let count = read(fd, buffer.baseAddress, buffer.count)
    if count < 0 {
      if errno == EINTR { continue }
      throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
    if count == 0 { break }
    hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
  }
  return lowercaseHex(hasher.finalize())
}

/// Bytes as lower-case hex: a table lookup, where `String(format:)` per byte
/// went through the locale machinery and cost 4% of a run over many small files.
func lowercaseHex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
  let digits = Array("0123456789abcdef".utf8)
  var text: [UInt8] = []
  text.reserveCapacity(bytes.underestimatedCount * 2)
  for byte in bytes {
    text.append(digits[Int(byte >> 4)])
    text.append(digits[Int(byte & 0x0f)])
  }
  return String(decoding: text, as: UTF8.self)
}
