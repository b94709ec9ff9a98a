import Execution
import Foundation
import RunEvents

/// Writes run events as text: plain timestamped lines, or on a terminal a live block (see `LiveView`)
/// under the log of what happened, coloured when the palette says so. Lines go to an `OutputWriter`,
/// so a reader that stops never holds up the run.
final class TextReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let live: Bool
    private let writer: OutputWriter
    private let palette: Palette
    /// `-v` and more: the live log also shows each step's pass and each skip.
    private let verbose: Int
    private var view = LiveView()
    private var frame = 0
    private var timer: Task<Void, Never>?
    /// Set by `finish()`: nothing is drawn after it, so no block is left under the summary.
    private var done = false

    /// `graph`: each host's steps and verifications (`LiveView.key`), so that a pause between two
    /// steps is not taken for the end.
    init(live: Bool, writer: OutputWriter, palette: Palette = .none, verbose: Int = 0, rollsBack: Bool = true, graph: [String: Set<String>] = [:]) {
        self.live = live
        self.writer = writer
        self.palette = palette
        self.verbose = verbose
        view.rollsBack = rollsBack
        view.graph = graph
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

    /// Stops drawing and removes the live block for good (a tick of the timer after this draws nothing).
    func finish() {
        lock.withLock { done = true }
        timer?.cancel()
        writer.setLive(nil)
    }

    private func handle(_ event: RunEvent) {
        lock.withLock {
            view.handle(event)
            let host = event.host ?? ""
            let name = palette.paint(host, .bold)
            // Progress the live block shows by itself is logged without a terminal, or with -v.
            let progress = !live || verbose > 0
            switch event.kind {
            case .runStarted(let runbook, let runID, let hosts, let batches):
                log(
                    event,
                    "run \(runID): \(runbook) on \(hosts.count) host\(hosts.count == 1 ? "" : "s")" + (batches.count > 1 ? " in \(batches.count) batches" : ""))
            case .batchStarted(let index, let hosts, let canary):
                log(event, palette.paint("── batch \(index)\(canary ? " (canary)" : ""): \(hosts.joined(separator: ", "))", .cyan))
            case .hostStarted, .hostKey: break
            case .stepStarted(let step, let attempt):
                if !live { log(event, "\(name)  ▶ \(step)" + (attempt > 1 ? " (attempt \(attempt))" : ""), .progress) }
            case .stepSkipped(let step, let reason):
                log(event, "\(name)  \(palette.paint("↷", .dim)) \(step): \(reason)")
            case .actionCompleted: break
            case .actionSkipped(let step, let action, let reason):
                if progress { log(event, "\(name)  \(palette.paint("↷", .dim)) \(step): \(action): \(reason)", .progress) }
            case .stepFinished(let step, let ok, _, let duration, let message):
                if ok {
                    if progress { log(event, "\(name)  \(palette.paint("✓", .green)) \(step) (\(Self.seconds(duration)))", .progress) }
                } else {
                    log(event, "\(name)  \(palette.paint("✗", .red)) \(step) (\(Self.seconds(duration))): \(TerminalText.safe(message ?? "failed"))")
                }
            case .output(_, let stream, let text):
                if !live { log(event, "\(name)    \(stream == "stderr" ? palette.paint("!", .yellow) : "|") \(TerminalText.safe(text))", .progress) }
            case .verifyStarted: break
            case .assertion(_, let description, let holds, let expected, let found):
                if holds {
                    if progress { log(event, "\(name)  \(palette.paint("✓", .green)) \(description): \(found)", .progress) }
                } else {
                    log(event, "\(name)  \(palette.paint("✗", .red)) \(expected): \(TerminalText.safe(found))")
                }
            case .undo(let step, let action, let commands, let ok, let message):
                // The undo line shows what the undo ran, not the action it takes back.
                let what = step == "rollback" ? "rollback block: \(action)" : "undo \(step): \(commands.firstLineForUndo)"
                log(event, "\(name)  \(palette.paint("↶", .yellow)) \(what)" + (ok ? "" : palette.paint(" FAILED: \(message ?? "")", .red)))
            case .hostFinished(let result, let message, let left, _):
                log(event, "\(name)  \(palette.paint(result, result.display.uppercased()))" + (message.map { ": \(TerminalText.safe($0))" } ?? ""))
                for item in left { log(event, "\(name)    left to do: \(item)") }
            case .runFinished(let status, _, let stoppedBy, let duration):
                if let stoppedBy { log(event, palette.paint("rollout stopped: \(stoppedBy)", .yellow)) }
                log(event, "finished in \(Self.seconds(duration)), exit status \(status)")
            case .note(let text):
                log(event, (host.isEmpty ? "" : "\(name)  ") + text)
            }
            drawLive()
        }
    }

    private func log(_ event: RunEvent, _ text: String, _ importance: Importance = .result) {
        writer.line(live ? text : "\(palette.paint(Self.clock(event.time), .dim)) \(text)", importance)
    }

    private func redraw() {
        lock.withLock {
            frame += 1
            drawLive()
        }
    }

    /// Hands the writer the newest live block; it draws only the newest one it has.
    private func drawLive() {
        guard live, !done else { return }
        // One column spare: a line that fills the last column makes some terminals wrap early.
        writer.setLive(view.lines(now: Date(), frame: frame, width: max(20, TerminalText.width() - 1), palette: palette))
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

    /// The table printed at the end: host, result, steps, time, what failed; results coloured.
    static func summary(_ summary: RunSummary, stepCounts: [String: Int], palette: Palette = .none) -> String {
        let rows = summary.order.map { host -> [String] in
            let outcome = summary.outcomes[host]
            return [
                host, outcome?.result.display ?? "not started", "\(stepCounts[host] ?? 0)", seconds(outcome?.duration ?? 0),
                (outcome?.message ?? "") + ((outcome?.left.isEmpty ?? true) ? "" : " (left: \(outcome?.left.count ?? 0) undo to do by hand)"),
            ]
        }
        let header = ["HOST", "RESULT", "STEPS", "TIME", "WHAT FAILED"]
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        // Padding is measured before painting: escape sequences take no columns.
        var lines = [
            palette.paint(
                (0..<4).map { header[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + header[4], .bold)
        ]
        for (host, row) in zip(summary.order, rows) {
            var cells = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            cells[1] = palette.paint(summary.outcomes[host]?.result ?? .notStarted, cells[1])
            lines.append(cells.joined(separator: "  ") + "  " + row[4])
        }
        return lines.joined(separator: "\n")
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
