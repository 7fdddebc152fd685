import ArgumentParser
import SmartDeposit

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Parse and validate files against the registry; deposit nothing.",
    discussion: """
      Prints each problem as file:line: code: message, then N files, N lines, N problems. Transfer files are \
      checked against the real ledger (nothing in it changes), so held quantities count. Exits 0 when there \
      is no problem, 65 when there are, 66 when a file or folder named does not exist (after checking the rest).
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "Order or transfer files to check, or folders: every such file in them.")
  var files: [String]

  func run() throws {
    let config = try options.load()
    let result: FileChecker.Result
    do {
      result = try FileChecker(config: config).check(paths: files)
    } catch {
      throw fail(error)
    }
    for problem in result.problems { print(problem) }
    func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
    print("\(count(result.files, "file")), \(count(result.lines, "line")), \(count(result.problems.count, "problem"))")
    if result.missing > 0 { throw ExitCode(.noInput) }
    if !result.problems.isEmpty { throw ExitCode(.dataError) }
  }
}
