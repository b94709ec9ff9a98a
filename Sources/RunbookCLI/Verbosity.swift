import Foundation
import Logging

/// `-v`, `-vv`, `-vvv` as swift-log levels: notes of runbook's own (what it found, chose and
/// connected to) at `info`, every command as it starts at `debug`, SSH connection set-up at `trace`.
/// Without `-v`, warnings and errors only.
enum Verbosity {
    static func level(_ count: Int) -> Logger.Level {
        switch count {
        case ...0: .warning
        case 1: .info
        case 2: .debug
        default: .trace
        }
    }
}

/// Where log messages go: standard error, through the run's `OutputWriter` while a run is on (so they
/// never tear the live block or hold up the run), else straight. One per process, set by the command.
final class LogSink: @unchecked Sendable {
    static let shared = LogSink()

    private let lock = NSLock()
    private var currentLevel: Logger.Level = .warning
    private var writer: OutputWriter?
    private var palette = Palette.none

    var level: Logger.Level {
        get { lock.withLock { currentLevel } }
        set { lock.withLock { currentLevel = newValue } }
    }

    /// Sends messages through a run's writer until `detach()`.
    func attach(_ writer: OutputWriter, palette: Palette) {
        lock.withLock {
            self.writer = writer
            self.palette = palette
        }
    }

    func detach() { lock.withLock { writer = nil } }

    /// `runbook: web1: systemctl restart app`; debug and trace lines dimmed on a colour terminal.
    func write(_ level: Logger.Level, _ message: String, host: String?) {
        let (writer, palette) = lock.withLock { (self.writer, self.palette) }
        let prefix = level >= .warning ? "runbook: \(level == .warning ? "warning" : "error"): " : "runbook: "
        var text = prefix + (host.map { "\($0): " } ?? "") + message.replacingOccurrences(of: "\n", with: "\n    ")
        if level <= .debug { text = palette.paint(text, .dim) }
        if let writer {
            writer.line(text, level >= .warning ? .result : .progress, to: .stderr)
        } else {
            Output.error(text)
        }
    }

    /// Installs the handler once per process; the level is read from `shared` at each message, so
    /// loggers made before a command sets it (static ones in libraries) follow it too.
    static func bootstrap() { _ = bootstrapped }

    private static let bootstrapped: Void = LoggingSystem.bootstrap { _ in SinkHandler() }
}

/// The swift-log handler that writes to `LogSink.shared`.
struct SinkHandler: LogHandler {
    var metadata: Logger.Metadata = [:]

    /// The process-wide level (`-v` flags); setting it on one logger is ignored, as swift-log allows
    /// for a global override.
    var logLevel: Logger.Level {
        get { LogSink.shared.level }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let host = event.metadata?["host"] ?? metadata["host"]
        LogSink.shared.write(event.level, "\(event.message)", host: host.map { "\($0)" })
    }
}

/// The CLI's own notes (`-v`).
enum CLILog {
    static let notes = Logger(label: "runbook")
}
