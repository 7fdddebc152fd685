import Foundation
import FuzzSupport
import SmartDeposit

/// Feeds each input to the CCW order XML reader with the production parser
/// options and limits: no crash, no hang, no entity expansion, and a refused
/// file says why.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzInput.withFile(data, size, suffix: ".xml") { path in
    var limits = InputLimits()
    limits.maxFieldBytes = 4096
    do throws(IngestError) {
      let (source, _) = try OrderSources.open(path: path, displayName: "fuzz.xml", format: .xml, limits: limits)
      while let record = try source.next() {
        if case .line(let line) = record {
          // Values are trimmed and bounded by the field limit.
          precondition(line.sku.utf8.count <= limits.maxFieldBytes)
          precondition(line.endCustomer.utf8.count <= limits.maxFieldBytes)
        }
      }
    } catch {
      precondition(!error.message.isEmpty, "a refused file must say why")
    }
  }
  return 0
}

@_cdecl("FuzzXML_main")
public func fuzzXMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzXML)
}
