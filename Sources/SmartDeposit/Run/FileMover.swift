import Foundation

/// Moves input files to the archive or quarantine, durably and without ever
/// overwriting: the destination keeps the file's inbox-relative name under a
/// folder per run, and the folders are fsynced after the rename.
public enum FileMover {
  /// Moves `source` to `folder/runID/name`; returns the destination. With
  /// `syncingFolders` false the caller syncs both folders (once for many
  /// files moved together) before it relies on the move.
  @discardableResult
  public static func move(
    _ source: String, name: String, into folder: String, runID: String, syncingFolders: Bool = true
  ) throws -> String {
    let destination = try uniqueDestination(name: name, folder: (folder as NSString).appendingPathComponent(runID))
    let parent = (destination as NSString).deletingLastPathComponent
    try createFolder(parent)
    if rename(source, destination) != 0 {
      let reason = errno
      guard reason == EXDEV else {
        throw RunError.io("cannot move \(source) to \(destination): \(String(cString: strerror(reason)))")
      }
      try copyDurably(source, destination)
      guard unlink(source) == 0 else {
        throw RunError.io(
          "copied \(source) to \(destination) but cannot remove it: \(String(cString: strerror(errno)))")
      }
    }
    if syncingFolders {
      syncFolder(parent)
      syncFolder((source as NSString).deletingLastPathComponent)
    }
    return destination
  }

  /// Writes `text` to `path` through a temporary name, fsynced, then renamed.
  public static func writeDurably(_ text: String, to path: String) throws {
    let parent = (path as NSString).deletingLastPathComponent
    try createFolder(parent)
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw RunError.io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        let reason = String(cString: strerror(errno))
        close(fd)
        unlink(temporary)
        throw RunError.io("cannot write \(temporary): \(reason)")
      }
      written += count
    }
    let synced = fsync(fd) == 0
    let reason = String(cString: strerror(errno))
    close(fd)
    guard synced else {
      unlink(temporary)
      throw RunError.io("cannot sync \(temporary): \(reason)")
    }
    guard rename(temporary, path) == 0 else {
      throw RunError.io("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
    }
    syncFolder(parent)
  }

  static func createFolder(_ path: String) throws {
    // Most often the folder is there already, or only its last part is
    // missing: one system call, where FileManager looks at every part.
    if mkdir(path, 0o777) == 0 { return }
    if errno == EEXIST {
      var info = stat()
      if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return }
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw RunError.io("cannot create the folder \(path): \(OSCause.describe(error))")
    }
  }

  /// A destination inside `folder` for `name` that exists nowhere yet and
  /// cannot escape the folder.
  static func uniqueDestination(name: String, folder: String) throws -> String {
    let parts = name.split(separator: "/").filter { $0 != ".." && $0 != "." && !$0.isEmpty }
    let safeName = parts.isEmpty ? "unnamed" : parts.joined(separator: "/")
    var candidate = (folder as NSString).appendingPathComponent(safeName)
    var counter = 1
    // lstat: anything there, a dangling symbolic link included, is never replaced.
    while exists(candidate) {
      candidate = (folder as NSString).appendingPathComponent("\(safeName).\(counter)")
      counter += 1
    }
    return candidate
  }

  private static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  private static func copyDurably(_ source: String, _ destination: String) throws {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw RunError.io("cannot read \(source): \(String(cString: strerror(errno)))") }
    defer { close(input) }
    let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard output >= 0 else { throw RunError.io("cannot create \(destination): \(String(cString: strerror(errno)))") }
    defer { close(output) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = read(input, buffer.baseAddress, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw RunError.io("cannot read \(source): \(String(cString: strerror(errno)))")
      }
      if count == 0 { break }
      var offset = 0
      while offset < count {
        let written = write(output, buffer.baseAddress?.advanced(by: offset), count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw RunError.io("cannot write \(destination): \(String(cString: strerror(errno)))")
        }
        offset += written
      }
    }
    guard fsync(output) == 0 else {
      throw RunError.io("cannot sync \(destination): \(String(cString: strerror(errno)))")
    }
  }

  /// fsync on a folder makes a rename in it durable.
  public static func syncFolder(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
  }
}
