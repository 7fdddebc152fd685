import Foundation
import SmartDeposit

/// Feeds each input to the CCW order CSV reader with the production limits
/// and checks its promises: no crash, every record has a line number inside
/// the file, and a rejected file says why.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzInput.withFile(data, size, suffix: ".csv") { path in
    var limits = InputLimits()
    limits.maxFieldBytes = 4096
    do throws(IngestError) {
      let (source, _) = try OrderSources.open(path: path, displayName: "fuzz.csv", format: .csv, limits: limits)
      var lastLine = 0
      while let record = try source.next() {
        let line: Int
        switch record {
        case .line(let orderLine): line = orderLine.record
        case .malformed(let record, _, _, _): line = record
        }
        precondition(line >= lastLine && line >= 1, "record lines go backwards: \(line) after \(lastLine)")
        lastLine = line
      }
    } catch {
      precondition(!error.message.isEmpty, "a refused file must say why")
    }
  }
  return 0
}

/// Writes the fuzzer's bytes to a file, as the readers take files.
enum FuzzInput {
  static let folder: String = {
    let path = "/dev/shm/smartdeposit-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  static func withFile(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String, _ body: (String) -> Void) {
    let path = folder + "/input" + suffix
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0)
    var written = 0
    while written < size {
      let count = write(fd, data + written, size - written)
      precondition(count > 0)
      written += count
    }
    close(fd)
    body(path)
  }
}

/// libFuzzer's driver, entered from this target's main (the package
/// manager names every executable's entry point after its target).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments, fuzzCSV)
}
