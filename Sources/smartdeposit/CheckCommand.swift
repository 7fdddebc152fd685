import ArgumentParser
import SmartDeposit

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Parse and validate files against the registry; deposit nothing.",
    discussion: "Prints each problem as file:line: code: message. Exits 0 when there is none, 65 when there are.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "Order or transfer files to check.")
  var files: [String]

  func run() throws {
    let config = try options.load()
    let problems: [FileChecker.Problem]
    do {
      problems = try FileChecker(config: config).check(paths: files)
    } catch {
      throw fail(error)
    }
    for problem in problems { print(problem) }
    if !problems.isEmpty { throw ExitCode(.dataError) }
  }
}
