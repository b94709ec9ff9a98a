import RunbookModel

/// How a run walks its hosts: canary first, then batches, with a failure budget.
public struct RolloutPlan: Sendable, Hashable, Encodable {
    /// Each batch's host names; the first is the canary batch when `canary` > 0.
    public var batches: [[String]]
    public var canary: Int
    public var serial: String
    public var maxFail: String
    public var pause: TimeSpan
    public var rollback: String
    private var maxFailSpec: HostCountCodable

    /// Splits hosts (in order) into the canary batch and batches of `serial` (a percentage is of all
    /// hosts, rounded up, at least 1).
    public init(hosts: [String], spec: RolloutSpec) {
        let canaryCount = min(spec.canary, hosts.count)
        var batches: [[String]] = []
        if canaryCount > 0 { batches.append(Array(hosts.prefix(canaryCount))) }
        let size = Self.size(of: spec.serial, total: hosts.count)
        var index = canaryCount
        while index < hosts.count {
            let end = min(hosts.count, index + size)
            batches.append(Array(hosts[index..<end]))
            index = end
        }
        self.batches = batches
        self.canary = canaryCount
        self.serial = spec.serial.description
        self.maxFail = spec.maxFail.description
        self.pause = spec.pause
        self.rollback = spec.rollback.rawValue
        self.maxFailSpec = HostCountCodable(spec.maxFail)
    }

    static func size(of count: HostCount, total: Int) -> Int {
        switch count {
        case .count(let value): return max(1, value)
        case .percent(let percent): return max(1, (total * percent + 99) / 100)
        }
    }

    /// True when `failed` failures among `done` hosts exceed the budget (a budget must be exceeded, not
    /// reached, as Ansible's max_fail_percentage).
    public func budgetExceeded(failed: Int, done: Int) -> Bool {
        switch maxFailSpec.value {
        case .count(let allowed): return failed > allowed
        case .percent(let percent): return failed * 100 > percent * done
        }
    }

    /// How the budget reads in summaries ("max_fail 0", "max_fail 25%").
    public var budgetDescription: String { "max_fail \(maxFail)" }
}

/// HostCount kept in a Codable plan.
struct HostCountCodable: Sendable, Hashable, Codable {
    var value: HostCount

    init(_ value: HostCount) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.description)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        value = HostCount(parsing: try container.decode(String.self)) ?? .count(0)
    }
}
