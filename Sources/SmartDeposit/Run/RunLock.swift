import Foundation

/// One run at a time per ledger: an exclusive `flock` on a lock file beside
/// the ledger. The kernel releases it when the process exits, however it
/// exits, so a killed run never leaves a stale lock behind.
public final class RunLock {
  public let path: String
  private let descriptor: Int32

  /// Takes the lock, waiting up to `waitSeconds` (0: not at all).
  public init(ledgerPath: String, waitSeconds: Double = 0) throws(RunError) {
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
        close(fd)
        throw .locked(path)
      }
      usleep(50_000)
    }
    descriptor = fd
    // The holder's pid, for an operator looking at the lock file.
    let pid = "\(getpid())\n"
    _ = ftruncate(fd, 0)
    _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
