import Foundation

/// One run at a time per ledger: an exclusive `flock` on a lock file beside
/// the ledger. The kernel releases it when the process exits, however it
/// exits, so a killed run never leaves a stale lock behind.
public final class RunLock {
  public let path: String
  private let descriptor: Int32

  /// Takes the lock, waiting up to `waitSeconds` (0: not at all). `holder`
  /// says who holds it (pid, run id, start), written into the lock file for
  /// whoever finds it held.
  public init(ledgerPath: String, waitSeconds: Double = 0, holder: String = "") throws(RunError) {
    path = ledgerPath + ".lock"
    try? FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw .io("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
    }
    let deadline = Date().addingTimeInterval(waitSeconds)
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let reason = errno
      guard reason == EWOULDBLOCK || reason == EINTR else {
        close(fd)
        throw .io("cannot lock \(path): \(String(cString: strerror(reason)))")
      }
      if Date() >= deadline {
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        close(fd)
        let written = count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
        throw .locked(path, holder: written.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      usleep(50_000)
    }
    descriptor = fd
    // Who holds it, for the run that finds it held and for an operator looking at the file.
    let text = (holder.isEmpty ? "pid \(getpid())" : holder) + "\n"
    _ = ftruncate(fd, 0)
    _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
