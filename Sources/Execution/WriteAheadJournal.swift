import Foundation
import Planning
import StateStore
import Wire

/// The run's store as host runners use it: each record is durable before the command it announces.
public struct WriteAheadJournal: Sendable {
    let store: any StateStore
    let runID: String
    /// Halted when a record cannot be written: no new change starts.
    let stop: StopSignal?

    public init(store: any StateStore, runID: String, stop: StopSignal?) {
        self.store = store
        self.runID = runID
        self.stop = stop
    }

    /// Writes a record; returns why it could not be, after halting the run.
    func write(_ record: WriteAheadRecord) async -> String? { await write([record]) }

    /// Writes records together (one sync); returns why they could not be, after halting the run.
    func write(_ records: [WriteAheadRecord]) async -> String? {
        do throws(StateStoreError) {
            try await store.append(records, to: runID)
            return nil
        } catch {
            stop?.halt(because: "the journal failed: \(error.description)")
            return error.description
        }
    }
}

extension PlannedAction {
    /// Every command the undo sends, as planned: what an intent record carries.
    public var undoCommands: [HostCommand] { undo.flatMap(\.commands) }

    /// The record written before the action is sent: the exact undo it will need, and its paths.
    func intent(_ id: ActionID) -> WriteAheadRecord {
        WriteAheadRecord(id: id, phase: .intent, work: .action, summary: summary, undo: undoCommands, paths: paths)
    }
}
