import Foundation
import Wire

/// A listening TCP socket as the host's kernel reports it in /proc/net/tcp or /proc/net/tcp6.
public struct Listener: Sendable, Hashable, CustomStringConvertible {
    /// `ipv4` (from /proc/net/tcp) or `ipv6` (from /proc/net/tcp6).
    public var family: String
    /// The bound address as text: `0.0.0.0`, `127.0.0.1`, `::`, `::1`, `::ffff:127.0.0.1`.
    public var address: String
    public var port: Int
    public var inode: String
    /// The owning processes, when /proc/PID/fd was readable: (pid, command name).
    public var owners: [(pid: Int, command: String)]

    public init(family: String, address: String, port: Int, inode: String, owners: [(pid: Int, command: String)] = []) {
        self.family = family
        self.address = address
        self.port = port
        self.inode = inode
        self.owners = owners
    }

    /// `[::]:3002 owned by node pid 4121`, as failure messages show it.
    public var description: String {
        let socket = family == "ipv6" ? "[\(address)]:\(port)" : "\(address):\(port)"
        guard !owners.isEmpty else { return socket }
        return socket + " owned by " + owners.map { "\($0.command) pid \($0.pid)" }.joined(separator: ", ")
    }

    public static func == (lhs: Listener, rhs: Listener) -> Bool {
        lhs.family == rhs.family && lhs.address == rhs.address && lhs.port == rhs.port && lhs.inode == rhs.inode
            && lhs.owners.map(\.pid) == rhs.owners.map(\.pid)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(family)
        hasher.combine(address)
        hasher.combine(port)
        hasher.combine(inode)
    }
}

/// Reads listening sockets from /proc on the host: no `ss`, `netstat` or `lsof` needed.
public enum SocketTable {
    /// A script printing `L FAMILY LOCAL_ADDRESS INODE` for every listener on `port`, then
    /// `O INODE PID COMMAND` for each owner it can see (other users' processes need root).
    public static func script(port: Int) -> String {
        """
        [ -r /proc/net/tcp ] || { echo 'cannot read /proc/net/tcp' >&2; exit 3; }
        hex=$(printf '%04X' \(port))
        l=$(for f in tcp tcp6; do [ -r /proc/net/$f ] && awk -v f=$f -v p=":$hex" 'FNR>1 && $4=="0A" && substr($2, length($2)-4)==p {print "L", f, $2, $10}' /proc/net/$f; done)
        [ -n "$l" ] || exit 0
        echo "$l"
        for i in $(echo "$l" | awk '{print $4}' | sort -u); do
          for fd in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\[$i\\]" 2>/dev/null); do
            pid=$(echo "$fd" | cut -d/ -f3); echo "O $i $pid $(cat /proc/$pid/comm 2>/dev/null)"
          done
        done
        """
    }

    /// The planned probe of the sockets listening on `port`; owners need `find -lname`.
    public static func probe(port: Int, owners: Bool) -> HostCommand {
        HostCommand(ShellCommand(script(port: port)), limit: 30, requirements: owners ? [.procNetTCP, .findLname] : [.procNetTCP])
    }

    /// Parses what `script(port:)` printed.
    public static func parse(_ output: String) -> [Listener] {
        var listeners: [Listener] = []
        var owners: [String: [(Int, String)]] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            if fields.count == 4, fields[0] == "L", let (address, port) = decode(fields[2], ipv6: fields[1] == "tcp6") {
                listeners.append(Listener(family: fields[1] == "tcp6" ? "ipv6" : "ipv4", address: address, port: port, inode: fields[3]))
            } else if fields.count >= 3, fields[0] == "O", let pid = Int(fields[2]) {
                owners[fields[1], default: []].append((pid, fields.count > 3 ? fields[3] : "?"))
            }
        }
        return listeners.map { listener in
            var copy = listener
            copy.owners = (owners[listener.inode] ?? []).sorted { $0.0 < $1.0 }.map { (pid: $0.0, command: $0.1) }
            return copy
        }
    }

    /// Decodes `0100007F:0BBA` (IPv4, little-endian) or the 32-hex-digit IPv6 form (four little-endian
    /// 32-bit words) into an address text and a port.
    public static func decode(_ field: String, ipv6: Bool) -> (String, Int)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16) else { return nil }
        let hex = Array(parts[0])
        guard hex.count == (ipv6 ? 32 : 8), hex.allSatisfy(\.isHexDigit) else { return nil }
        var bytes: [UInt8] = []
        for word in stride(from: 0, to: hex.count, by: 8) {
            let wordBytes = stride(from: 0, to: 8, by: 2).compactMap { UInt8(String(hex[(word + $0)..<(word + $0 + 2)]), radix: 16) }
            bytes += wordBytes.reversed()
        }
        if !ipv6 { return (bytes.map(String.init).joined(separator: "."), port) }
        return (formatIPv6(bytes), port)
    }

    static func formatIPv6(_ bytes: [UInt8]) -> String {
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        var words: [UInt16] = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // The longest run of zero words (two or more) becomes "::", as inet_ntop writes it.
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            if words[index] == 0 {
                var end = index
                while end < 8 && words[end] == 0 { end += 1 }
                if end - index > best.length { best = (index, end - index) }
                index = end
            } else {
                index += 1
            }
        }
        if best.length < 2 { return words.map { String($0, radix: 16) }.joined(separator: ":") }
        let head = words[0..<best.start].map { String($0, radix: 16) }.joined(separator: ":")
        let tail = words[(best.start + best.length)...].map { String($0, radix: 16) }.joined(separator: ":")
        words = []
        return head + "::" + tail
    }

    /// Normalises an address a runbook names: `[::]` → `::`, `0:0::0` → `::`.
    public static func normalize(_ address: String) -> String {
        var text = address
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var storage = in6_addr()
        if text.contains(":"), inet_pton(AF_INET6, text, &storage) == 1 {
            let bytes = withUnsafeBytes(of: &storage) { Array($0) }
            return formatIPv6(bytes)
        }
        return text
    }
}
