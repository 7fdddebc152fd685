import Foundation
import Prometheus

/// The Prometheus textfile a run leaves for node_exporter's textfile
/// collector (SPEC §8): the last run's outcome and the ledger's totals, each
/// metric with its HELP and TYPE, replaced atomically after every run.
///
/// A registry of the run's own (not the process-wide swift-metrics
/// bootstrap, which registers metrics without help texts and can be set up
/// only once per process).
public enum MetricsFile {
  /// The exposition text for a run's summary; `totals` is nil when the
  /// ledger could not be read (its metrics are then left out).
  public static func render(
    _ summary: RunSummary, finishedAt: Date, durationSeconds: Double, totals: LedgerTotals?
  ) -> String {
    let registry = PrometheusCollectorRegistry()
    registry.makeGauge(
      descriptor: metric("last_run_timestamp_seconds", "When the last run ended, in seconds since 1970.")
    ).set(finishedAt.timeIntervalSince1970)
    if let totals {
      let lastSuccess = totals.lastSuccess.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
      registry.makeGauge(
        descriptor: metric(
          "last_success_timestamp_seconds",
          "When the last run that completed (exit 0 or 65) ended, in seconds since 1970; 0 if none has.")
      ).set(lastSuccess)
    }
    registry.makeGauge(descriptor: metric("last_run_exit_code", "The exit code of the last run."))
      .set(Double(summary.exitCode))
    registry.makeGauge(descriptor: metric("last_run_duration_seconds", "How long the last run took."))
      .set(durationSeconds)
    let files: [(String, Int)] = [
      ("processed", summary.files.processed), ("duplicate", summary.files.duplicate),
      ("quarantined", summary.files.quarantined), ("not_ready", summary.files.notReady),
      ("stale", summary.files.stale),
    ]
    for (outcome, count) in files {
      registry.makeGauge(
        descriptor: metric("last_run_files", "Files of the last run by outcome."), labels: [("outcome", outcome)]
      ).set(Double(count))
    }
    let lines: [(String, Int)] = [
      ("deposited", summary.lines.deposited), ("held", summary.lines.held),
      ("duplicate", summary.lines.duplicate), ("rejected", summary.lines.rejected),
    ]
    for (outcome, count) in lines {
      registry.makeGauge(
        descriptor: metric("last_run_lines", "Order lines of the last run by outcome."), labels: [("outcome", outcome)]
      ).set(Double(count))
    }
    if let totals {
      registry.makeCounter(descriptor: metric("deposits_total", "Deposit rows in the ledger."))
        .increment(by: Int64(totals.deposits))
      registry.makeGauge(descriptor: metric("held_licenses", "Licences held in partners' holding accounts now.")).set(
        Double(totals.held))
      registry.makeGauge(
        descriptor: metric(
          "held_over_age_licenses", "Held licences deposited longer ago than policy.holding_max_age_days.")
      ).set(Double(totals.heldOverAge))
    }
    return registry.emitToString()
  }

  /// A metric of smartdeposit's namespace, with its help text.
  private static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(namespace: "smartdeposit", metricName: name, unitName: "", helpText: help)
  }

  /// Replaces the file at `path` with `text`: written beside it, flushed, then renamed over it.
  public static func write(_ text: String, to path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let temporary = path + ".\(getpid()).tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    var failure: Int32 = 0
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        return Foundation.write(descriptor, base + written, buffer.count - written)
      }
      if count < 0 {
        if errno == EINTR { continue }
        failure = errno
        break
      }
      written += count
    }
    if failure == 0 && fsync(descriptor) != 0 { failure = errno }
    close(descriptor)
    guard failure == 0, rename(temporary, path) == 0 else {
      let code = failure != 0 ? failure : errno
      unlink(temporary)
      throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }
  }
}
