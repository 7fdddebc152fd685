import Foundation
import FuzzSupport
import SmartDeposit

/// Feeds each input to the XLSX order reader as a workbook file and checks
/// its promises: no crash, no hang, every record has a row number, a
/// refused workbook says why, and memory stays bounded by the size limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXLSX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzInput.withFile(data, size, suffix: ".xlsx") { path in
    var limits = InputLimits()
    limits.maxFieldBytes = 4096
    limits.maxFileBytes = 8 << 20
    do throws(IngestError) {
      let (source, _) = try OrderSources.open(path: path, displayName: "fuzz.xlsx", format: .xlsx, limits: limits)
      while let record = try source.next() {
        switch record {
        case .line(let line): precondition(line.record >= 1, "a line without its row")
        case .malformed(let record, _, _, let message):
          precondition(record >= 1 && !message.isEmpty, "a malformed row must say where and why")
        }
      }
    } catch {
      precondition(!error.message.isEmpty, "a refused workbook must say why")
    }
  }
  return 0
}

@_cdecl("FuzzXLSX_main")
public func fuzzXLSXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzXLSX)
}
