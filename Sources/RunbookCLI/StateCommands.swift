import ArgumentParser
import Foundation
import PostgresStore
import RunEvents

/// `runbook leases --state URL`: who holds each host now, and which hosts a dead run left.
struct LeasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "leases", abstract: "Show the host leases in the shared state store.")

    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE).")
    var state: String?

    func run() async throws {
        guard let url = try SharedState.url(state: state, journal: nil) else {
            Output.error("error: leases live in the shared state store: give --state URL (or RUNBOOK_STATE)")
            throw ExitStatus.usage
        }
        let store = try SharedState.open(url)
        defer { store.close() }
        let leases: [Lease]
        do {
            leases = try store.leases()
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
        if leases.isEmpty {
            Output.print("no host is leased in \(store.location)")
            return
        }
        for lease in leases {
            let state =
                lease.expired
                ? "left by run \(lease.runID), needs rollback (`runbook rollback \(lease.runID) --state URL`)"
                : "held by run \(lease.runID) until \(lease.expires)"
            Output.print("\(lease.name)  \(lease.host)  \(state)  controller \(lease.controller)  since \(lease.since)  token \(lease.token)")
        }
    }
}

/// `runbook watch RUN --state URL`: follows a run live from any machine (LISTEN/NOTIFY), printed as
/// its own controller prints it; exits with the run's status.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "watch", abstract: "Follow a run live from the shared state store.")

    @Argument(help: "The run id (a unique prefix is enough).")
    var runID: String

    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE).")
    var state: String?

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        guard let url = try SharedState.url(state: state, journal: nil) else {
            Output.error("error: watch follows runs in the shared state store: give --state URL (or RUNBOOK_STATE)")
            throw ExitStatus.usage
        }
        let store = try SharedState.open(url)
        defer { store.close() }
        let fullID: String
        do {
            fullID = try await store.load(runID).header.runID
        } catch {
            Output.error("error: \(error.description) (\(store.location))")
            throw ExitStatus.usage
        }
        let bus = EventBus()
        let json = format == .json
        let writer = OutputWriter(live: false, wrap: { json ? JSONReporter.wrap($0) : $0 }, onBroken: { _ in })
        writer.start()
        var reporter: TextReporter?
        switch format {
        case .json: JSONReporter.attach(to: bus, writer: writer)
        case .text:
            let text = TextReporter(live: false, writer: writer)
            text.attach(to: bus)
            reporter = text
        }
        let end: RunFollower.End
        do {
            end = try await RunFollower(store: store, runID: fullID).follow { line in
                if let event = try? RunEvent.decode(jsonLine: line) { bus.emit(event) }
            }
        } catch {
            await writer.finish()
            Output.error("error: lost the state store while watching: \(error)")
            throw ExitStatus.rollbackFailed
        }
        reporter?.finish()
        await writer.finish()
        switch end {
        case .finished(let status):
            if status != 0 { throw ExitCode(status) }
        case .abandoned(let message):
            Output.error("error: \(message)")
            throw ExitStatus.rollbackFailed
        }
    }
}
