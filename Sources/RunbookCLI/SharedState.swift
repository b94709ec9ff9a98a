import ArgumentParser
import Foundation
import Inventory
import Journal
import Planning
import PostgresStore
import RunEvents
import StateStore

/// What a controller needs of its store beyond `StateStore`: events queued from the bus, a flush
/// before `_exit`, reopening a run for its rollback. The local journal and the PostgreSQL store have both.
protocol ControllerStore: StateStore {
    var failure: String? { get }
    func record(_ event: RunEvent, to runID: String)
    @discardableResult func flush(_ runID: String) -> String?
    func reopen(_ runID: String) throws(StateStoreError)
    func close(_ runID: String)
}

extension LocalJournal: ControllerStore {}
extension PostgresStore: ControllerStore {}

/// `--state URL` (or RUNBOOK_STATE): the shared store, for the commands that also take `--journal`.
enum SharedState {
    /// The store URL chosen by `--state`, else RUNBOOK_STATE when `--journal` is not given; both flags is
    /// a usage error (exit 2).
    static func url(state: String?, journal: String?) throws -> String? {
        if state != nil && journal != nil {
            Output.error("error: --journal and --state name two different stores: give one")
            throw ExitStatus.usage
        }
        if let state { return state }
        guard journal == nil, let value = ProcessInfo.processInfo.environment["RUNBOOK_STATE"], !value.isEmpty else { return nil }
        return value
    }

    /// The PostgreSQL store at `url`, its schema brought up to date; a bad URL, a refused connection or
    /// a newer schema exit 2 before anything runs.
    static func open(_ url: String, failed: @escaping @Sendable (String) -> Void = { _ in }) throws -> PostgresStore {
        guard StoreLocation.isPostgres(url) else {
            Output.error("error: --state takes a postgres:// or postgresql:// URL (the local journal is --journal DIR)")
            throw ExitStatus.usage
        }
        do {
            let settings = try StoreSettings.from(ProcessInfo.processInfo.environment)
            return try PostgresStore(url: url, settings: settings, failed: failed)
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
    }

    /// The store the options choose: the PostgreSQL one, or the local journal folder.
    static func store(state: String?, journal: String?, failed: @escaping @Sendable (String) -> Void = { _ in }) throws -> any ControllerStore {
        if let url = try url(state: state, journal: journal) { return try open(url, failed: failed) }
        return LocalJournal(folder: Journal.folder(explicit: journal), failed: failed)
    }

    /// How a lease names a host: who and where, the same from every controller whatever the inventory calls it.
    static func leaseHost(_ host: HostPlan) -> LeaseHost { leaseHost(name: host.host, connection: host.connection) }

    static func leaseHost(name: String, connection: HostConnection) -> LeaseHost {
        let key = connection.isLocal ? "local@\(ProcessInfo.processInfo.hostName)" : "\(connection.user)@\(connection.address):\(connection.port)"
        return LeaseHost(key: key, name: name)
    }

    /// Takes the run's leases before any host is contacted, and keeps them alive; refused leases exit 2
    /// naming the holder. `takeOver`: a rollback takes its own run's leases left by a dead controller.
    static func lease(
        _ hosts: [HostPlan], store: PostgresStore, runID: String, takeOver: Bool = false, lost: @escaping @Sendable (String) -> Void
    ) throws -> LeaseKeeper {
        let controller = ProcessInfo.processInfo.hostName + " (pid \(getpid()), " + Journal.userName + ")"
        do {
            let tokens = try store.acquire(hosts.map(leaseHost), runID: runID, controller: controller, takeOver: takeOver)
            return LeaseKeeper(store: store, runID: runID, tokens: tokens, lost: lost)
        } catch let refused as LeaseRefused {
            Output.error(
                "error: hosts are leased in the state store \(store.location); nothing ran:\n  "
                    + refused.description.replacingOccurrences(of: "\n", with: "\n  "))
            throw ExitStatus.usage
        } catch {
            Output.error("error: cannot take the hosts' leases: \(error); nothing ran")
            throw ExitStatus.usage
        }
    }

    /// Ends the heartbeat and gives the leases back, or leaves them marked for rollback when the run
    /// ended with hosts in an unknown state (exit 3).
    static func finish(_ keeper: LeaseKeeper?, store: PostgresStore?, status: Int32) {
        guard let keeper, let store else { return }
        keeper.stop()
        do {
            if status == 3 {
                try store.leave(runID: keeper.runID, tokens: keeper.tokens)
            } else {
                try store.release(runID: keeper.runID, tokens: keeper.tokens)
            }
        } catch {
            Output.error(
                "warning: cannot give the leases back (\(error)); they expire in \(Int(store.settings.leaseTTL)) s and then show as left by run \(keeper.runID)"
            )
        }
    }

    /// A rollback with nothing to undo frees the hosts its run left leased (matching `hosts` when given).
    static func clearLeft(_ header: RunHeader, hosts wanted: [String]?, options: JournalOption) throws {
        guard let url = try url(state: options.state, journal: options.journal) else { return }
        let store = try open(url)
        defer { store.close() }
        let names = Set(header.hosts.map(\.name).filter { name in wanted.map { $0.contains { Glob.matches($0, name) } } ?? true })
        guard let left = try? store.leases().filter({ $0.runID == header.runID && names.contains($0.name) }), !left.isEmpty else { return }
        do {
            let tokens = try store.acquire(
                left.map { LeaseHost(key: $0.host, name: $0.name) }, runID: header.runID, controller: ProcessInfo.processInfo.hostName, takeOver: true)
            try store.release(runID: header.runID, tokens: tokens)
            Output.print("released the leases run \(header.runID) left on \(left.map(\.name).sorted().joined(separator: ", "))")
        } catch let refused as LeaseRefused {
            Output.error("error: \(refused.description)")
            throw ExitStatus.usage
        }
    }

    /// `unlock --force --state URL`: removes the hosts' leases, whoever holds them; without --force it
    /// only says who holds them.
    static func unlock(names: [String], connections: [HostConnection], state: String?, force: Bool) throws {
        guard let url = try url(state: state, journal: nil) else { return }
        let store = try open(url)
        defer { store.close() }
        let hosts = zip(names, connections).map { leaseHost(name: $0, connection: $1) }
        do {
            if force {
                let removed = try store.forceRelease(hosts.map(\.key))
                if removed.isEmpty { Output.print("no lease on \(names.joined(separator: ", ")) in \(store.location)") }
                for lease in removed {
                    Output.print(
                        "\(lease.name): lease removed (\(lease.expired ? "left" : "held") by run \(lease.runID), controller \(lease.controller), since \(lease.since))"
                    )
                }
            } else {
                let keys = Set(hosts.map(\.key))
                for lease in try store.leases() where keys.contains(lease.host) {
                    Output.print("\(lease.refusal) (kept: `--force` removes it)")
                }
            }
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
    }
}
