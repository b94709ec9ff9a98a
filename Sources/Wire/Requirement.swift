/// Something a command needs on the host beyond POSIX sh; a host that lacks it fails the check or
/// action that needs it with "cannot check X on this host: Y is missing", never a pass.
public enum Requirement: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case procNetTCP = "proc_net_tcp"
    case procFD = "proc_fd"
    case findLname = "find_lname"
    case awk
    case sudo

    /// A POSIX sh test that exits 0 when the host has it (run once, in the first command of a run).
    public var test: String {
        switch self {
        case .procNetTCP: "[ -r /proc/net/tcp ]"
        case .procFD: "[ -d /proc/self/fd ]"
        case .findLname: "find /proc/self -maxdepth 0 -lname x >/dev/null 2>&1"
        case .awk: "command -v awk >/dev/null 2>&1"
        case .sudo: "command -v sudo >/dev/null 2>&1"
        }
    }

    /// What the message names.
    public var label: String {
        switch self {
        case .procNetTCP: "/proc/net/tcp (the kernel's socket table)"
        case .procFD: "/proc/PID/fd"
        case .findLname: "`find -lname` (BusyBox find lacks it)"
        case .awk: "awk"
        case .sudo: "sudo"
        }
    }

    public static func < (lhs: Requirement, rhs: Requirement) -> Bool { lhs.rawValue < rhs.rawValue }
}
