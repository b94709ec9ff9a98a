import Dispatch
import Foundation

/// Maps over many independent items on every core (plans for 10,000 hosts), keeping their order.
enum Parallel {
    /// Each slot is written by exactly one iteration and read only after all have finished.
    private final class Slots<R>: @unchecked Sendable {
        var values: [R?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
    }

    static func map<T: Sendable, R: Sendable>(_ items: [T], minimumChunk: Int = 64, _ transform: @Sendable (T) -> R) -> [R] {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        guard items.count > minimumChunk, workers > 1 else { return items.map(transform) }
        let chunks = min(workers * 4, (items.count + minimumChunk - 1) / minimumChunk)
        let slots = Slots<R>(count: items.count)
        let size = (items.count + chunks - 1) / chunks
        slots.values.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = chunk * size
                let end = min(items.count, start + size)
                guard start < end else { return }
                for index in start..<end { base[index] = transform(items[index]) }
            }
        }
        return slots.values.compactMap { $0 }
    }
}
