import Foundation

/// Helpers the command-line front end shares across subcommands.
public enum CommandSupport {
  /// Writes a line to standard error.
  public static func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }

  /// Whether standard error is a terminal (progress is shown only there).
  public static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

  /// Loads pipeline.conf, or says why not (exit 78).
  public static func loadConfig(_ path: String) -> Result<PipelineConfig, ConfigError> {
    do {
      return .success(try PipelineConfig.load(path: path))
    } catch {
      return .failure(error)
    }
  }

  /// JSON text of a value, keys sorted, pretty-printed, every key in
  /// snake_case (one style across every command's output).
  public static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  /// Columns padded to a common width, for terminal tables.
  public static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
    let all = [header] + rows
    var widths = Array(repeating: 0, count: header.count)
    for row in all {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    return all.map { row in
      row.enumerated().map { index, cell in
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        return numeric.contains(index) ? pad + cell : cell + pad
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n") + "\n"
  }
}
