import Foundation
import Journal

/// Where a line of output goes.
enum Channel: Int32, Sendable {
    case stdout = 1
    case stderr = 2

    var name: String { self == .stdout ? "standard output" : "standard error" }
    var other: Channel { self == .stdout ? .stderr : .stdout }
}

/// What a line is worth when the reader falls behind: progress may be dropped (and counted); results
/// are kept up to a large bound, and any that are lost are counted and said.
enum Importance: Sendable {
    case progress, result
}

/// The one writer of a run's output: reporters hand it lines and never wait; its own thread writes
/// them with write(2). A terminal that stops reading (Ctrl-S, a pager) or a closed pipe stalls or
/// breaks only this thread, never the SSH loops or the executor.
final class OutputWriter: @unchecked Sendable {
    private struct Line {
        var channel: Channel
        var importance: Importance
        var text: String
    }

    /// Bytes of progress held for a reader that is behind before new progress is dropped.
    static let progressLimit = 256 << 10
    /// Bytes of results held before results are dropped (and counted) too: memory stays bounded.
    static let resultLimit = 8 << 20

    private let condition = NSCondition()
    private var pending: [Line] = []
    private var progressBytes = 0
    private var resultBytes = 0
    private var live: [String]?
    private var liveChanged = false
    private var droppedProgress = 0
    private var droppedResults = 0
    private var lostResults = 0
    private var finishing = false
    private var busy = false
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var broken: [Channel: String] = [:]
    private var notices: [Line] = []
    private let liveMode: Bool
    private let wrap: @Sendable (String) -> String
    private let onBroken: @Sendable (String) -> Void

    /// `wrap` turns a notice of the writer's own into a line of the stream (JSON wraps it as a note);
    /// `onBroken` hears once per channel that it failed, to record it where it can (the journal).
    init(live: Bool, wrap: @escaping @Sendable (String) -> String = { $0 }, onBroken: @escaping @Sendable (String) -> Void = { _ in }) {
        liveMode = live
        self.wrap = wrap
        self.onBroken = onBroken
        for channel in [Channel.stdout, .stderr] where ProcessSetup.closedAtStart.contains(channel.rawValue) {
            fail(channel, reason: "it was closed when runbook started")
        }
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "runbook-output"
        thread.start()
    }

    /// Queues a line (a newline is added); never blocks.
    func line(_ text: String, _ importance: Importance = .result, to channel: Channel = .stdout) {
        condition.withLock {
            guard !done else { return }
            let size = text.utf8.count + 1
            switch importance {
            case .progress:
                if broken[channel] != nil { return }
                if progressBytes + size > Self.progressLimit {
                    droppedProgress += 1
                    return
                }
                progressBytes += size
            case .result:
                if resultBytes + size > Self.resultLimit {
                    droppedResults += 1
                    return
                }
                resultBytes += size
            }
            pending.append(Line(channel: channel, importance: importance, text: text))
            condition.signal()
        }
    }

    /// Replaces the live block drawn under the log (a terminal only); only the newest block is drawn.
    func setLive(_ lines: [String]?) {
        guard liveMode else { return }
        condition.withLock {
            live = lines
            liveChanged = true
            condition.signal()
        }
    }

    /// Writes what is queued, removes the live block and stops the thread.
    func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = condition.withLock { () -> Bool in
                if done { return true }
                waiters.append(continuation)
                finishing = true
                live = nil
                liveChanged = true
                condition.signal()
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Waits up to `seconds` for what is queued to be written (the second Ctrl-C, before `_exit`).
    @discardableResult
    func flush(within seconds: Double) -> Bool {
        let until = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || busy || !notices.isEmpty {
            if !condition.wait(until: until) { return false }
        }
        return true
    }

    /// Marks a channel failed; called with the lock held or before the thread starts.
    private func fail(_ channel: Channel, reason: String) {
        guard broken[channel] == nil else { return }
        broken[channel] = reason
        let text = "runbook: \(channel.name) failed (\(reason)); the run goes on and its results follow on \(channel.other.name); the journal has every event"
        notices.append(Line(channel: channel.other, importance: .result, text: wrap(text)))
    }

    private func loop() {
        var drawn = 0
        while true {
            condition.lock()
            while pending.isEmpty && notices.isEmpty && !liveChanged && !finishing && droppedProgress + droppedResults == 0 {
                condition.wait()
            }
            var batch = notices + pending
            notices = []
            pending = []
            progressBytes = 0
            resultBytes = 0
            let block = live
            let redraw = liveChanged
            liveChanged = false
            let dropped = (progress: droppedProgress, results: droppedResults)
            droppedProgress = 0
            droppedResults = 0
            let ending = finishing
            busy = true
            condition.unlock()

            if dropped.progress + dropped.results > 0 {
                var parts: [String] = []
                if dropped.progress > 0 { parts.append("\(dropped.progress) line(s) of progress") }
                if dropped.results > 0 { parts.append("\(dropped.results) result line(s)") }
                let text = "runbook: \(parts.joined(separator: " and ")) dropped: the output was not read fast enough; the journal has every event"
                batch.insert(Line(channel: .stdout, importance: .result, text: wrap(text)), at: 0)
                condition.withLock { lostResults += dropped.results }
            }
            drawn = write(batch, live: ending ? nil : block, redraw: redraw || ending, drawn: drawn)

            let finished = condition.withLock { () -> Bool in
                busy = false
                condition.broadcast()
                guard ending, pending.isEmpty, notices.isEmpty else { return false }
                done = true
                return true
            }
            if finished {
                let waiting = condition.withLock { () -> [CheckedContinuation<Void, Never>] in
                    let list = waiters
                    waiters = []
                    return list
                }
                for waiter in waiting { waiter.resume() }
                return
            }
        }
    }

    /// Writes one batch: the live block cleared, standard error's lines, standard output's lines, the
    /// live block drawn again. A failed channel's results go to the other one; returns the lines drawn.
    private func write(_ batch: [Line], live block: [String]?, redraw: Bool, drawn: Int) -> Int {
        let failed = condition.withLock { broken }
        var lines: [Channel: [Line]] = [:]
        for line in batch {
            var channel = line.channel
            if failed[channel] != nil {
                guard line.importance == .result, failed[channel.other] == nil else { continue }
                channel = channel.other
            }
            lines[channel, default: []].append(line)
        }
        let out = lines[.stdout] ?? []
        let err = lines[.stderr] ?? []
        let drawing = liveMode && failed[.stdout] == nil && (redraw || !out.isEmpty || !err.isEmpty)
        var clear = drawing && drawn > 0 ? "\u{1B}[\(drawn)A\u{1B}[J" : ""
        let after = drawing ? (block ?? []) : []
        if !err.isEmpty {
            if !clear.isEmpty { send(clear, [], to: .stdout) }
            clear = ""
            send(err.map { $0.text + "\n" }.joined(), err, to: .stderr)
        }
        let text = clear + out.map { $0.text + "\n" }.joined() + after.map { $0 + "\n" }.joined()
        if !text.isEmpty { send(text, out, to: .stdout) }
        guard condition.withLock({ broken[.stdout] == nil }) else { return 0 }
        return drawing ? after.count : drawn
    }

    /// Writes to a channel; when it fails, marks it and sends its results again on the other channel.
    private func send(_ text: String, _ lines: [Line], to channel: Channel) {
        guard condition.withLock({ broken[channel] == nil }) else { return }
        guard let error = Descriptor.put(channel.rawValue, text) else { return }
        let reason = "\(Descriptor.describe(error))"
        let notice = condition.withLock { () -> [Line] in
            fail(channel, reason: reason)
            let list = notices
            notices = []
            return list
        }
        onBroken("\(channel.name) failed (\(reason)); the run went on")
        let again = notice + lines.filter { $0.importance == .result }
        guard !again.isEmpty, condition.withLock({ broken[channel.other] == nil }) else {
            condition.withLock { lostResults += lines.filter { $0.importance == .result }.count }
            return
        }
        send(again.map { $0.text + "\n" }.joined(), [], to: channel.other)
    }

    /// Result lines that no channel could take (both failed, or more than `resultLimit` queued).
    var lost: Int { condition.withLock { lostResults } }
}
