/// Why pipeline.conf could not be used. Every case names the file and, where
/// it applies, the key; the command exits 78.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var key: String?
  public var line: Int?
  public var problem: String

  public init(file: String, key: String? = nil, line: Int? = nil, problem: String) {
    self.file = file
    self.key = key
    self.line = line
    self.problem = problem
  }

  public var description: String {
    var location = file
    if let line { location += ":\(line)" }
    if let key { return "\(location): \(key): \(problem)" }
    return "\(location): \(problem)"
  }
}
