import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One writer thread for every journal file of the process. Callers queue lines; the thread writes
/// everything queued with write(2) and, when any waiting caller asked for durability, makes each file
/// durable with one fdatasync, then wakes them all: the records of many hosts share one sync (group
/// commit), so a fleet costs about as many syncs as one host.
final class GroupCommit: @unchecked Sendable {
    /// A batch member: the bytes for a file, and who waits for them to be durable (nil: nobody).
    private struct Pending {
        var fd: Int32
        var bytes: [UInt8]
        var done: (@Sendable (Int32?) -> Void)?
        /// Synced before `done` is told (events are written, not synced, one by one).
        var sync = true
    }

    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var started = false
    /// errno of the first failure per file: later writes to it fail at once.
    private var broken: [Int32: Int32] = [:]

    static let shared = GroupCommit()

    /// Queues `bytes` for `fd`; `done` is called once they are written and, if `durable`, synced
    /// (with nil, or the errno that stopped them).
    func submit(_ fd: Int32, _ bytes: [UInt8], sync: Bool = true, done: (@Sendable (Int32?) -> Void)?) {
        condition.lock()
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "runbook-journal"
            thread.start()
        }
        pending.append(Pending(fd: fd, bytes: bytes, done: done, sync: sync))
        condition.signal()
        condition.unlock()
    }

    /// Writes and syncs, waiting for it (for callers outside async code: the header, the last sync).
    func submitAndWait(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        let semaphore = DispatchSemaphore(value: 0)
        let result = ErrnoBox()
        submit(fd, bytes) { error in
            result.value = error
            semaphore.signal()
        }
        semaphore.wait()
        return result.value
    }

    /// Forgets a closed descriptor's failure (the number may be reused).
    func forget(_ fd: Int32) {
        condition.lock()
        broken[fd] = nil
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let batch = pending
            pending.removeAll()
            var failed = broken
            condition.unlock()
            var order: [Int32] = []
            var bytes: [Int32: [UInt8]] = [:]
            var wantsSync: Set<Int32> = []
            for item in batch {
                if bytes[item.fd] == nil { order.append(item.fd) }
                bytes[item.fd, default: []].append(contentsOf: item.bytes)
                if item.done != nil && item.sync { wantsSync.insert(item.fd) }
            }
            for fd in order where failed[fd] == nil {
                if let error = Descriptor.writeAll(fd, bytes[fd] ?? []) {
                    failed[fd] = error
                } else if wantsSync.contains(fd), fdatasync(fd) != 0 {
                    failed[fd] = errno
                }
            }
            condition.lock()
            for (fd, error) in failed { broken[fd] = error }
            condition.unlock()
            for item in batch { item.done?(failed[item.fd]) }
        }
    }
}

/// An errno handed from the writer thread to a waiting caller.
private final class ErrnoBox: @unchecked Sendable {
    var value: Int32?
}
