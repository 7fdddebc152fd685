import Foundation
import SmartDeposit

/// Feeds each input to the CCW order XML reader with the production parser
/// options and limits: no crash, no hang, no entity expansion, and a refused
/// file says why.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = "/dev/shm/smartdeposit-fuzz-\(getpid()).xml"
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  precondition(fd >= 0)
  var written = 0
  while written < size {
    let count = write(fd, data + written, size - written)
    precondition(count > 0)
    written += count
  }
  close(fd)
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
  return 0
}

/// libFuzzer's driver, entered from this target's main (the package
/// manager names every executable's entry point after its target).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzXML_main")
public func fuzzXMLMain(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments, fuzzXML)
}
