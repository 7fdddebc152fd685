import Foundation

/// Where the ledger lives: an embedded SQLite file, or a PostgreSQL database
/// that several runners share.
public enum LedgerLocation: Sendable, Equatable, CustomStringConvertible {
  case sqlite(path: String)
  case postgres(PostgresLocation)

  public var description: String {
    switch self {
    case .sqlite(let path): path
    case .postgres(let location): location.description
    }
  }
}

/// A PostgreSQL ledger, from libpq's URI form
/// (`postgresql://user@host:port/database?sslmode=disable`). The password
/// never travels in the URL: it comes from the environment variable named
/// by `passwordVariable`, and no message ever shows it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
  public enum SSLMode: String, Sendable {
    case disable, prefer, require
  }

  public var host: String
  public var port: Int
  public var user: String
  public var database: String
  public var sslMode: SSLMode
  /// The environment variable that holds the password.
  public var passwordVariable: String
  /// A runner that stops renewing its claim on a file loses it after this long.
  public var claimTimeoutSeconds: Double

  /// The URL without any password, for messages.
  public var description: String {
    "postgresql://\(user)@\(host):\(port)/\(database)" + (sslMode == .prefer ? "" : "?sslmode=\(sslMode.rawValue)")
  }

  /// `host:port`, for the message when the server cannot be reached.
  public var endpoint: String { "\(host):\(port)" }

  /// The password from the environment, if set.
  public var password: String? { ProcessInfo.processInfo.environment[passwordVariable] }

  /// Parses a `postgresql://` or `postgres://` URL; a password written in
  /// the URL is refused, so that it never lands in a config file by accident.
  public static func parse(
    _ url: String, passwordVariable: String = "PGPASSWORD", claimTimeoutSeconds: Double = 60
  ) -> Result<PostgresLocation, URLProblem> {
    guard let components = URLComponents(string: url),
      components.scheme == "postgresql" || components.scheme == "postgres"
    else {
      return .failure(URLProblem("is not a postgresql://user@host:port/database URL"))
    }
    guard let host = components.host, !host.isEmpty else { return .failure(URLProblem("names no host")) }
    if components.password != nil {
      return .failure(
        URLProblem("must not hold a password; put it in the environment variable named by ledger.password_env"))
    }
    var database = components.path
    if database.hasPrefix("/") { database.removeFirst() }
    let user = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
    var sslMode = SSLMode.prefer
    for item in components.queryItems ?? [] {
      switch item.name {
      case "sslmode":
        guard let value = item.value, let mode = SSLMode(rawValue: value) else {
          return .failure(URLProblem("sslmode must be disable, prefer or require"))
        }
        sslMode = mode
      default:
        return .failure(URLProblem("has an unknown parameter '\(item.name)' (only sslmode is understood)"))
      }
    }
    return .success(
      PostgresLocation(
        host: host, port: components.port ?? 5432, user: user, database: database.isEmpty ? user : database,
        sslMode: sslMode, passwordVariable: passwordVariable, claimTimeoutSeconds: claimTimeoutSeconds))
  }
}

/// Why a ledger URL cannot be used.
public struct URLProblem: Error, Sendable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
