import Foundation

/// The operating system's words for why a file operation failed, with its
/// errno name (`EACCES`, `ENOENT`, …), instead of Foundation's
/// `NSCocoaErrorDomain` text.
public enum OSCause {
  public static func describe(_ error: Error) -> String {
    guard let code = posixCode(of: error) else { return "\(error)" }
    let cause = "\(String(cString: strerror(code))) (\(name(code)))"
    let nsError = error as NSError
    if let path = nsError.userInfo[NSFilePathErrorKey] as? String { return "\(path): \(cause)" }
    return cause
  }

  /// The errno behind an error: its own, or its underlying error's.
  static func posixCode(of error: Error, depth: Int = 0) -> Int32? {
    if let posix = error as? POSIXError { return posix.code.rawValue }
    let nsError = error as NSError
    if nsError.domain == NSPOSIXErrorDomain { return Int32(nsError.code) }
    guard depth < 4, let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error else { return nil }
    return posixCode(of: underlying, depth: depth + 1)
  }

  /// The symbolic name of an errno value.
  public static func name(_ code: Int32) -> String {
    switch code {
    case EACCES: "EACCES"
    case ENOENT: "ENOENT"
    case EPERM: "EPERM"
    case EEXIST: "EEXIST"
    case ENOTDIR: "ENOTDIR"
    case EISDIR: "EISDIR"
    case ENOSPC: "ENOSPC"
    case EROFS: "EROFS"
    case EXDEV: "EXDEV"
    case EIO: "EIO"
    case ENOTEMPTY: "ENOTEMPTY"
    case ELOOP: "ELOOP"
    case EMFILE: "EMFILE"
    case EDQUOT: "EDQUOT"
    case EBUSY: "EBUSY"
    default: "errno \(code)"
    }
  }
}
