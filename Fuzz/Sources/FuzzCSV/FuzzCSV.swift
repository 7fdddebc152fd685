import Foundation
import FuzzSupport
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

@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzCSV)
}
