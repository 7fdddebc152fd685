import ArgumentParser
import SmartDeposit

struct TransferCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "transfer",
    abstract: "Apply a transfer file outside a run: move held licenses to customer accounts.")

  @OptionGroup var options: ConfigOption

  @Option(
    help: "Apply the file as this configured partner (only its own holding accounts); without it, as the operator.")
  var partner: String?

  @Argument(
    help:
      "A transfer CSV (transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account)."
  )
  var file: String

  func run() throws {
    let config = try options.load()
    var sender = Sender.ccw
    if let partner {
      guard let configured = config.partners.first(where: { $0.name.lowercased() == partner.lowercased() }) else {
        throw ValidationError("no partner named '\(partner)' in \(config.configFile)")
      }
      sender = .partner(configured.name)
    }
    let result: RunPipeline.TransferResult
    do {
      result = try RunPipeline(config: config, options: RunOptions()).applyTransferFile(path: file, sender: sender)
    } catch let error as IngestError {
      print("\(file):\(error.line): \(error.cause.rawValue): \(error.message)")
      throw ExitCode(.dataError)
    } catch {
      throw fail(error)
    }
    if let earlier = result.duplicateOf {
      print("\(file): already applied as \(earlier); nothing to do")
      return
    }
    for reject in result.rejects {
      print("\(reject.file):\(reject.record): \(reject.code.rawValue): \(reject.message)")
    }
    let counts = result.counts
    print(
      "transfers: \(counts.applied) applied (\(counts.quantity) licenses), \(counts.duplicate) duplicate, \(counts.rejected) rejected"
    )
    if counts.rejected > 0 { throw ExitCode(.dataError) }
  }
}
