import ArgumentParser
import Foundation
import SmartDeposit

@main
struct SmartDepositCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "smartdeposit",
    abstract: "Deposits licenses from CCW and partner order files into Smart Accounts, and reports on them.",
    version: "smartdeposit \(SmartDepositVersion.current)",
    subcommands: [
      RunCommand.self, CheckCommand.self, AccountsCommand.self, BalancesCommand.self, TransferCommand.self,
      ReconcileCommand.self, RunsCommand.self, ReportCommand.self, LedgerCommand.self, QuarantineCommand.self,
    ])
}

/// The `--config` option every subcommand that reads pipeline.conf takes.
struct ConfigOption: ParsableArguments {
  @Option(
    name: .long,
    help: "The pipeline configuration file (default: $SMARTDEPOSIT_CONFIG, else pipeline.conf in this folder).")
  var config: String?

  /// The configuration file in force: --config, else $SMARTDEPOSIT_CONFIG, else ./pipeline.conf.
  var path: String {
    if let config { return config }
    if let variable = ProcessInfo.processInfo.environment["SMARTDEPOSIT_CONFIG"], !variable.isEmpty { return variable }
    return "pipeline.conf"
  }

  /// The loaded configuration; exits 78 with the reason when it is missing or invalid.
  func load() throws -> PipelineConfig {
    switch CommandSupport.loadConfig(path) {
    case .success(let loaded):
      return loaded
    case .failure(let error):
      CommandSupport.printError("smartdeposit: \(error)")
      throw ExitCode(.configError)
    }
  }
}

/// Prints a failure and exits with its sysexits code.
func fail(_ error: Error) -> ExitCode {
  if let error = error as? RunError {
    CommandSupport.printError("smartdeposit: \(error)")
    return ExitCode(error.exitStatus)
  }
  CommandSupport.printError("smartdeposit: \(OSCause.describe(error))")
  return ExitCode(.ioError)
}

extension ExitCode {
  /// The exit code of a status: every command ends through `ExitStatus`.
  init(_ status: ExitStatus) { self.init(status.rawValue) }
}
