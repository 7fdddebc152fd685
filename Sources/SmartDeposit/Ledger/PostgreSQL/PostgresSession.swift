import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection to the PostgreSQL ledger, used synchronously.
///
/// The pipeline's stages are threads, not tasks: each call waits for its
/// result on the calling thread (never an event loop thread), so a ledger
/// call looks the same to the pipeline whatever the backend. Calls on one
/// connection are made by one thread at a time, as with SQLite.
final class PostgresSession: @unchecked Sendable {
  // @unchecked: the connection is used by one thread at a time (the owner
  // serialises its use); PostgresConnection itself is Sendable.
  let location: PostgresLocation
  private let connection: PostgresConnection
  private let logger: Logger
  private let inFlight = InFlightQueries()
  /// Statements sent without waiting for them, in the order sent.
  private var unconfirmed: [EventLoopFuture<Void>] = []
  /// Where the connection's async calls run: its own event loop, never the
  /// cooperative pool, whose threads may be the very ones waiting here.
  private let executor: EventLoopTaskExecutor
  /// The COPY kept open by `stream(into:columns:data:operation:)`, with its table.
  private var openCopy: (table: String, rows: CopyStream, done: EventLoopFuture<Void>)?

  /// Connects; a server that cannot be reached is a `LedgerError` naming host and port.
  init(location: PostgresLocation) throws {
    self.location = location
    var logger = Logger(label: "smartdeposit.postgres")
    logger.logLevel = .critical
    self.logger = logger
    var tls = PostgresConnection.Configuration.TLS.disable
    if location.sslMode != .disable {
      do {
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        tls = location.sslMode == .require ? .require(context) : .prefer(context)
      } catch {
        throw LedgerError(
          path: location.description, operation: "setting up TLS", cause: "\(error)")
      }
    }
    var configuration = PostgresConnection.Configuration(
      host: location.host, port: location.port, username: location.user, password: location.password,
      database: location.database, tls: tls)
    configuration.options.connectTimeout = .seconds(10)
    do {
      connection = try PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger
      ).wait()
    } catch {
      throw LedgerError(
        path: location.description, operation: "connecting to PostgreSQL at \(location.endpoint)",
        cause: Self.describe(error))
    }
    executor = EventLoopTaskExecutor(eventLoop: connection.eventLoop)
    let inFlight = inFlight
    connection.closeFuture.whenComplete { _ in inFlight.failAll(ConnectionLost()) }
  }

  deinit {
    try? connection.close().wait()
  }

  /// Runs one statement and returns its rows.
  @discardableResult
  func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings(), operation: String) throws -> [PostgresRow] {
    do {
      guard !connection.isClosed else { throw ConnectionLost() }
      endStream()
      let result = untilClosed(connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger))
      try confirmSent()
      return try result.wait().rows
    } catch {
      throw wrap(error, operation: operation)
    }
  }

  /// Sends a statement whose result nothing needs (a savepoint, say) and
  /// goes on: the server runs statements in the order they come, so the
  /// next call that waits finds it done, and fails with its error if it failed.
  func send(_ sql: String, operation: String) throws {
    guard !connection.isClosed else { throw wrap(ConnectionLost(), operation: operation) }
    endStream()
    remember(untilClosed(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)).map { _ in })
  }

  /// Keeps a statement sent without waiting until the next call that waits.
  private func remember(_ statement: EventLoopFuture<Void>) {
    unconfirmed.append(statement)
  }

  /// Waits for the statements sent before; the first that failed is the error.
  private func confirmSent() throws {
    defer { unconfirmed.removeAll(keepingCapacity: true) }
    for statement in unconfirmed { try statement.wait() }
  }

  /// Streams `data`, rows in COPY's text format, into `columns` of `table`
  /// with one `COPY … FROM STDIN`: the server parses text, with no arrays
  /// to decode and unnest. Unless `waits`, it is sent as `send` sends.
  func copy(
    into table: String, columns: [String], data: NIOCore.ByteBuffer, waits: Bool = true, operation: String
  ) throws {
    do {
      guard !connection.isClosed else { throw ConnectionLost() }
      endStream()
      let rows = CopyStream()
      try rows.write(data)
      rows.finish()
      let done = startCopy(into: table, columns: columns, rows: rows)
      guard waits else { return remember(done) }
      try confirmSent()
      try done.wait()
    } catch {
      throw wrap(error, operation: operation)
    }
  }

  /// Adds `data`, rows in COPY's text format, to a COPY into `columns` of
  /// `table` that stays open across calls, so that the server starts one
  /// COPY where it would start many: it costs the server about as much to
  /// start a COPY as to store a thousand rows. The COPY ends with the next
  /// call of another kind, which sends its end without waiting for it, as
  /// `send` does. This call waits only while two earlier writes are still
  /// on this side; should the server refuse a row, a later call fails.
  func stream(into table: String, columns: [String], data: NIOCore.ByteBuffer, operation: String) throws {
    do {
      guard !connection.isClosed else { throw ConnectionLost() }
      let open: (table: String, rows: CopyStream, done: EventLoopFuture<Void>)
      if let current = openCopy, current.table == table {
        open = current
      } else {
        endStream()
        let rows = CopyStream()
        open = (table, rows, startCopy(into: table, columns: columns, rows: rows))
        openCopy = open
      }
      do {
        try open.rows.write(data)
      } catch {
        // The COPY failed: its error is this one, not one for the next call.
        openCopy = nil
        throw error
      }
    } catch {
      throw wrap(error, operation: operation)
    }
  }

  /// Ends the open COPY, if any, without waiting for it.
  private func endStream() {
    guard let open = openCopy else { return }
    openCopy = nil
    open.rows.finish()
    remember(open.done)
  }

  /// Starts `COPY table(columns) FROM STDIN` on the connection's event loop,
  /// fed from `rows` until they are finished.
  private func startCopy(into table: String, columns: [String], rows: CopyStream) -> EventLoopFuture<Void> {
    let promise = connection.eventLoop.makePromise(of: Void.self)
    let connection = connection
    let logger = logger
    Task(executorPreference: executor) {
      do {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
          do {
            while let data = await rows.next() {
              guard !connection.isClosed else { throw ConnectionLost() }
              try await writer.write(data)
            }
            // The rows end early when the connection closed under them.
            guard !connection.isClosed else { throw ConnectionLost() }
          } catch {
            // postgres-nio stops the process (a precondition) when a COPY is
            // written to, ended or failed on a connection that has closed but
            // still has its handler, which it keeps until the event loop's
            // next turn: leave only once the connection is closed through.
            if connection.isClosed { _ = try? await connection.closeFuture.get() }
            throw error
          }
        }
        promise.succeed()
      } catch {
        rows.fail(error)
        promise.fail(error)
      }
    }
    let done = untilClosed(promise.futureResult)
    // A connection that closes under the COPY fails it, and the writer waiting on it.
    done.whenFailure { rows.fail($0) }
    return done
  }

  /// The connection closed under a query (the server went away, or an
  /// administrator ended the session).
  struct ConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to the server was lost" }
  }

  /// `future`, or a failure as soon as the connection closes: a query sent
  /// as the server drops the connection must not wait forever. One callback
  /// on the connection's close fails whatever is in flight then; a callback
  /// per query would keep every result alive until the connection closed.
  private func untilClosed<Value: Sendable>(_ future: EventLoopFuture<Value>) -> EventLoopFuture<Value> {
    let promise = future.eventLoop.makePromise(of: Value.self)
    guard let id = inFlight.add({ promise.fail($0) }) else {
      promise.fail(ConnectionLost())
      return promise.futureResult
    }
    let inFlight = inFlight
    future.whenComplete { result in
      inFlight.remove(id)
      // A promise already failed by the close stays failed: completing it again is a no-op.
      promise.completeWith(result)
    }
    return promise.futureResult
  }

  /// Runs statements that each end with `;` at the end of a line (no
  /// parameters), as a migration is written: one statement at a time.
  func execute(script: String, operation: String) throws {
    for statement in script.components(separatedBy: ";\n") {
      let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
      if text.isEmpty
        || text.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") })
      {
        continue
      }
      try query(text, operation: operation)
    }
  }

  /// The SQLSTATE of a server error, if `error` is one.
  static func sqlState(_ error: Error) -> String? {
    (error as? PSQLError)?.serverInfo?[.sqlState]
  }

  func wrap(_ error: Error, operation: String) -> Error {
    if error is LedgerError || error is IngestError || error is DuplicateFileError { return error }
    return LedgerError(
      path: location.description, operation: operation, cause: Self.describe(error), sqlState: Self.sqlState(error),
      constraint: (error as? PSQLError)?.serverInfo?[.constraintName])
  }

  /// A server error's own message and SQLSTATE; a connection failure in plain words.
  static func describe(_ error: Error) -> String {
    if let error = error as? PSQLError {
      if let info = error.serverInfo, let message = info[.message] {
        return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
      }
      switch error.code {
      case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
        return "the connection to the server was lost"
      case .connectionError:
        return "cannot connect: \(error.underlying.map { "\($0)" } ?? "connection refused")"
      case .authMechanismRequiresPassword:
        return "the server asks for a password: set it in the environment variable named by [ledger] password_env"
      default:
        return "\(error.code)"
      }
    }
    return "\(error)"
  }
}

/// The queries of a connection still waiting for their results.
private final class InFlightQueries: @unchecked Sendable {
  // @unchecked: every field is read and written under `lock`.
  private let lock = NSLock()
  private var promises: [Int: @Sendable (Error) -> Void] = [:]
  private var next = 0
  private var closed = false

  /// Registers a promise; nil once the connection has closed.
  func add(_ fail: @escaping @Sendable (Error) -> Void) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { return nil }
    next += 1
    promises[next] = fail
    return next
  }

  func remove(_ id: Int) {
    lock.lock()
    promises[id] = nil
    lock.unlock()
  }

  /// Fails every query in flight: the connection closed under them.
  func failAll(_ error: Error) {
    lock.lock()
    closed = true
    let pending = promises.values
    promises.removeAll()
    lock.unlock()
    for fail in pending { fail(error) }
  }
}

/// The rows of one COPY, handed from the thread that makes them to the
/// task that writes them to the connection. At most two writes wait here:
/// the thread that makes them waits while two do.
private final class CopyStream: @unchecked Sendable {
  // @unchecked: every field is read and written under `condition`'s lock.
  private let condition = NSCondition()
  private var waiting: [NIOCore.ByteBuffer] = []
  private var reader: CheckedContinuation<NIOCore.ByteBuffer?, Never>?
  private var finished = false
  private var failure: Error?
  private static let limit = 2

  /// Adds `data`; waits while two writes wait; the COPY's error if it failed.
  func write(_ data: NIOCore.ByteBuffer) throws {
    condition.lock()
    while failure == nil && waiting.count >= Self.limit { condition.wait() }
    if let failure {
      condition.unlock()
      throw failure
    }
    let reader = reader
    self.reader = nil
    if reader == nil { waiting.append(data) }
    condition.unlock()
    reader?.resume(returning: data)
  }

  /// No more rows: the COPY ends once those waiting are written.
  func finish() {
    condition.lock()
    finished = true
    let reader = reader
    self.reader = nil
    condition.unlock()
    reader?.resume(returning: nil)
  }

  /// The COPY failed: writes waiting are dropped, and later ones fail.
  func fail(_ error: Error) {
    condition.lock()
    if failure == nil { failure = error }
    waiting.removeAll()
    let reader = reader
    self.reader = nil
    condition.broadcast()
    condition.unlock()
    reader?.resume(returning: nil)
  }

  /// The next write, or nil once the rows are finished or the COPY failed.
  func next() async -> NIOCore.ByteBuffer? {
    await withCheckedContinuation { (continuation: CheckedContinuation<NIOCore.ByteBuffer?, Never>) in
      condition.lock()
      if !waiting.isEmpty {
        let data = waiting.removeFirst()
        condition.signal()
        condition.unlock()
        continuation.resume(returning: data)
      } else if finished || failure != nil {
        condition.unlock()
        continuation.resume(returning: nil)
      } else {
        reader = continuation
        condition.unlock()
      }
    }
  }
}

/// Runs a task's jobs on an event loop.
private final class EventLoopTaskExecutor: TaskExecutor {
  let eventLoop: any EventLoop

  init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}

/// A file of the same content was committed by another runner while this
/// one worked on it: this file is a duplicate, nothing of it was committed.
public struct DuplicateFileError: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var description: String { "\(file): the same content was committed by another runner meanwhile" }
}

extension PostgresRandomAccessRow {
  func string(_ index: Int) throws -> String { try self[index].decode(String.self) }
  func optionalString(_ index: Int) throws -> String? { try self[index].decode(String?.self) }
  func int(_ index: Int) throws -> Int { try self[index].decode(Int.self) }
  func optionalInt(_ index: Int) throws -> Int? { try self[index].decode(Int?.self) }
}
