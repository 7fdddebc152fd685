import Foundation
import FuzzSupport
import SmartDeposit

/// Feeds each input to the CSV reader's dialect sniffing and checks what it
/// promises: a delimiter of the three, records in file order, and a file
/// decided to be Windows-1252 never has a row refused as invalid UTF-8 (every
/// byte is a character there), while one decided UTF-8 yields only valid text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialect(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzInput.withFile(data, size, suffix: ".csv") { path in
    do {
      let source = try ByteSource(path: path, displayName: "fuzz.csv", maxBytes: 1 << 30)
      let reader = CSVReader(source: source, maxFieldBytes: 4096)
      var lastLine = 0
      while let record = try reader.next() {
        let dialect = reader.dialect
        precondition([0x2C, 0x3B, 0x09].contains(dialect.delimiter), "delimiter \(dialect.delimiter)")
        precondition(record.line >= lastLine && record.line >= 1, "records go backwards")
        lastLine = record.line
        if dialect.encoding == .windows1252 {
          precondition(record.problem?.contains("UTF-8") != true, "a Windows-1252 row refused as UTF-8")
        }
      }
    } catch let error as IngestError {
      precondition(!error.message.isEmpty, "a refused file must say why")
    } catch {
      preconditionFailure("unexpected error \(error)")
    }
  }
  return 0
}

@_cdecl("FuzzDialect_main")
public func fuzzDialectMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzDialect)
}
