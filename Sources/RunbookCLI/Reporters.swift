import Execution
import Foundation
import RunEvents

/// Writes run events as text: plain timestamped lines, or on a terminal a live block of one line per
/// host (current step, elapsed time, spinner) under the log of what happened. Lines go to an
/// `OutputWriter`, so a reader that stops never holds up the run.
final class TextReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let live: Bool
    private let writer: OutputWriter
    private var hosts: [String] = []
    /// What each running host is doing: its running steps (several at once) with their start times.
    private var current: [String: [(step: String, since: Date)]] = [:]
    private var finished: [String: String] = [:]
    private var frame = 0
    private var timer: Task<Void, Never>?
    private let started = Date()

    init(live: Bool, writer: OutputWriter) {
        self.live = live
        self.writer = writer
    }

    func attach(to bus: EventBus) {
        bus.subscribe { [self] event in handle(event) }
        if live {
            timer = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(120))
                    self?.redraw()
                }
            }
        }
    }

    func finish() {
        timer?.cancel()
        writer.setLive(nil)
    }

    private func handle(_ event: RunEvent) {
        lock.withLock {
            let host = event.host ?? ""
            switch event.kind {
            case .runStarted(let runbook, let runID, let hosts, let batches):
                self.hosts = hosts
                log(
                    event,
                    "run \(runID): \(runbook) on \(hosts.count) host\(hosts.count == 1 ? "" : "s")" + (batches.count > 1 ? " in \(batches.count) batches" : ""))
            case .batchStarted(let index, let hosts, let canary):
                log(event, "── batch \(index)\(canary ? " (canary)" : ""): \(hosts.joined(separator: ", "))")
            case .hostStarted:
                current[host] = []
            case .stepStarted(let step, let attempt):
                current[host, default: []].append((step, Date()))
                if !live { log(event, "\(host)  ▶ \(step)" + (attempt > 1 ? " (attempt \(attempt))" : ""), .progress) }
            case .stepSkipped(let step, let reason):
                current[host]?.removeAll { $0.step == step }
                log(event, "\(host)  ↷ \(step): \(reason)")
            case .actionCompleted: break
            case .actionSkipped(let step, let action, let reason):
                if !live { log(event, "\(host)  ↷ \(step): \(action): \(reason)", .progress) }
            case .stepFinished(let step, let ok, _, let duration, let message):
                current[host]?.removeAll { $0.step == step }
                if ok {
                    if !live { log(event, "\(host)  ✓ \(step) (\(Self.seconds(duration)))", .progress) }
                } else {
                    log(event, "\(host)  ✗ \(step) (\(Self.seconds(duration))): \(message ?? "failed")")
                }
            case .output(_, let stream, let text):
                if !live { log(event, "\(host)    \(stream == "stderr" ? "!" : "|") \(text)", .progress) }
            case .verifyStarted(let name):
                current[host, default: []].append((name == "verify" ? "verify" : "verify \(name)", Date()))
            case .assertion(let verification, let description, let holds, let expected, let found):
                current[host]?.removeAll { $0.step == (verification == "verify" ? "verify" : "verify \(verification)") }
                if holds {
                    if !live { log(event, "\(host)  ✓ \(description): \(found)", .progress) }
                } else {
                    log(event, "\(host)  ✗ \(expected): \(found)")
                }
            case .undo(let step, let action, let commands, let ok, let message):
                current[host] = [("rolling back", current[host]?.first?.since ?? Date())]
                // The undo line shows what the undo ran, not the action it takes back.
                let what = step == "rollback" ? "rollback block: \(action)" : "undo \(step): \(commands.firstLineForUndo)"
                log(event, "\(host)  ↶ \(what)" + (ok ? "" : " FAILED: \(message ?? "")"))
            case .hostFinished(let result, let message, let left, _):
                current[host] = nil
                finished[host] = result.display
                log(event, "\(host)  \(result.display.uppercased())" + (message.map { ": \($0)" } ?? ""))
                for item in left { log(event, "\(host)    left to do: \(item)") }
            case .runFinished(let status, _, let stoppedBy, let duration):
                if let stoppedBy { log(event, "rollout stopped: \(stoppedBy)") }
                log(event, "finished in \(Self.seconds(duration)), exit status \(status)")
            case .note(let text):
                log(event, (host.isEmpty ? "" : "\(host)  ") + text)
            }
        }
    }

    private func log(_ event: RunEvent, _ text: String, _ importance: Importance = .result) {
        writer.line(live ? text : "\(Self.clock(event.time)) \(text)", importance)
        drawLive()
    }

    private func redraw() {
        lock.withLock {
            frame += 1
            drawLive()
        }
    }

    private static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    /// Hands the writer the newest live block; it draws only the newest one it has.
    private func drawLive() {
        guard live else { return }
        let active = hosts.filter { current[$0] != nil }
        let shown = active.prefix(20)
        var lines = shown.map { host -> String in
            let running = current[host] ?? []
            let what = running.isEmpty ? "connecting" : running.map(\.step).joined(separator: ", ")
            let since = running.map(\.since).min().map { Self.seconds(Date().timeIntervalSince($0)) } ?? ""
            return "\(Self.spinner[frame % Self.spinner.count]) \(host)  \(what)  \(since)"
        }
        if active.count > shown.count { lines.append("  … and \(active.count - shown.count) more hosts running") }
        lines.append("  \(finished.count)/\(hosts.count) hosts done, \(Self.seconds(Date().timeIntervalSince(started)))")
        writer.setLive(lines)
    }

    /// `HH:mm:ss.SSS` in local time, from libc (DateFormatter would load ICU's data).
    static func clock(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let millis = Int(date.timeIntervalSince1970 * 1000) % 1000
        return String(format: "%02d:%02d:%02d.%03d", parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }

    static func seconds(_ value: Double) -> String { value < 10 ? String(format: "%.1fs", value) : String(format: "%.0fs", value) }

    /// The table printed at the end: host, result, steps, time, what failed.
    static func summary(_ summary: RunSummary, stepCounts: [String: Int]) -> String {
        let rows = summary.order.map { host -> [String] in
            let outcome = summary.outcomes[host]
            return [
                host, outcome?.result.display ?? "not started", "\(stepCounts[host] ?? 0)", seconds(outcome?.duration ?? 0),
                (outcome?.message ?? "") + ((outcome?.left.isEmpty ?? true) ? "" : " (left: \(outcome?.left.count ?? 0) undo to do by hand)"),
            ]
        }
        let header = ["HOST", "RESULT", "STEPS", "TIME", "WHAT FAILED"]
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[4]
        }.joined(separator: "\n")
    }
}

/// Writes one JSON object per event line (`--format json`); output lines are progress, the rest results.
enum JSONReporter {
    static func attach(to bus: EventBus, writer: OutputWriter) {
        bus.subscribe { event in
            if case .output = event.kind {
                writer.line(event.jsonLine, .progress)
            } else {
                writer.line(event.jsonLine, .result)
            }
        }
    }

    /// A notice of runbook's own as a JSON `note` event.
    static func wrap(_ text: String) -> String { RunEvent(.note(text)).jsonLine }
}

extension String {
    /// The first line of an undo's commands, shortened for one line of output.
    var firstLineForUndo: String {
        let line = split(separator: "\n", maxSplits: 1).first.map(String.init) ?? self
        return line.count > 160 ? String(line.prefix(157)) + "..." : line
    }
}
