import RunbookLanguage

/// A validated runbook: its inputs, steps, verifications and how it walks a fleet.
public struct Runbook: Sendable {
    public var name: String
    public var path: String
    public var description: String?
    public var params: [Param]
    public var supervisor: SupervisorKind?
    public var rollout: RolloutSpec
    public var lock: LockSpec
    public var steps: [Step]
    public var verifications: [Verification]
    /// `precheck do ... end`: assertions before any change (`within` zero means once).
    public var precheck: Verification?
    public var rollback: [Action]
    public var graph: StepGraph

    /// The parameter declared under this name.
    public func param(named name: String) -> Param? { params.first { $0.name == name } }
}

/// The value types a parameter can declare.
public enum ParamType: String, Sendable, CaseIterable {
    case string, int, port, path, duration, bool, shell
}

/// An input of the runbook (`param :port, type: :port, default: 3002`).
public struct Param: Sendable, Hashable {
    public var name: String
    public var type: ParamType
    public var defaultValue: Expr?
    public var required: Bool
    public var secret: Bool
    public var doc: String?
    public var location: SourceLocation
}

/// The process managers `stop`, `start`, `restart`, `save` and `restarts` go through.
public enum SupervisorKind: String, Sendable, CaseIterable {
    case pm2, systemd, supervisord, docker
}

/// A count of hosts or a percentage of them ("25%").
public enum HostCount: Sendable, Hashable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    /// Parses "3" or "25%".
    public init?(parsing text: String) {
        if text.hasSuffix("%"), let value = Int(text.dropLast()), (0...100).contains(value) {
            self = .percent(value)
        } else if let value = Int(text), value >= 0 {
            self = .count(value)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .count(let value): "\(value)"
        case .percent(let value): "\(value)%"
        }
    }
}

/// What is rolled back when a rollout stops.
public enum RollbackScope: String, Sendable, CaseIterable {
    case host, fleet, none
}

/// How a fleet is walked: canaries, batch size, failure budget, pause, rollback scope.
public struct RolloutSpec: Sendable, Hashable {
    public var serial: HostCount = .percent(100)
    public var canary: Int = 0
    public var maxFail: HostCount = .count(0)
    public var pause: TimeSpan = .seconds(0)
    public var rollback: RollbackScope = .host

    public init() {}
}

/// The host lock a run takes (default: named after the runbook).
public struct LockSpec: Sendable, Hashable {
    public var enabled: Bool = true
    public var name: String?
    public var wait: TimeSpan = .seconds(0)

    public init() {}
}

/// A node of the step graph: actions run in order on a host.
public struct Step: Sendable, Hashable {
    public var name: String
    public var after: [String]
    public var timeout: TimeSpan?
    public var retries: Int
    public var retryDelay: TimeSpan
    public var hostPattern: String?
    public var actions: [Action]
    public var location: SourceLocation
}

/// A `verify` block: assertions polled until all hold or `within` runs out.
public struct Verification: Sendable, Hashable {
    public var name: String
    public var after: [String]
    public var within: TimeSpan
    public var assertions: [Assertion]
    public var location: SourceLocation
}
