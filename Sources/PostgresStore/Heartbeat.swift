import Foundation

/// A thread of its own that calls `beat` every `interval` seconds until `stop()` (which waits for
/// it to end) or until `beat` returns false; `ended` runs last, on that thread. The lease keeper and
/// the claim keeper renew through one.
final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var running = true

    init(name: String, interval: Double, beat: @escaping @Sendable () -> Bool, ended: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while true {
                let stop = condition.withLock { () -> Bool in
                    if !stopped { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
                    return stopped
                }
                if stop || !beat() { break }
            }
            ended()
            condition.withLock {
                running = false
                condition.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }
}
