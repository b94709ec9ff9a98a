import Foundation
import PostgresNIO

/// Where the shared state lives: a `postgres://` or `postgresql://` URL (libpq's form). The password is
/// never needed in it: PGPASSWORD, else ~/.pgpass (libpq's rules: mode 0600 or stricter, `*` wildcards).
public struct StoreLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// libpq's sslmode: disable, allow and prefer use TLS when the server offers it (without verifying
    /// the certificate, as libpq does); require insists on it; verify-ca and verify-full also verify.
    public var sslMode: String
    /// Only when the URL itself holds one; `password(environment:home:)` finds the usual ones.
    var urlPassword: String?

    /// A URL that is not a PostgreSQL location, with what is wrong.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// True when `text` names the PostgreSQL store (its scheme), so the caller knows which store to open.
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) {
        guard StoreLocation.isPostgres(text), let components = URLComponents(string: text) else {
            throw Invalid(description: "--state takes a postgres:// or postgresql:// URL, not `\(StoreLocation.redact(text))`")
        }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "127.0.0.1"
        port = components.port ?? environment["PGPORT"].flatMap { Int($0) } ?? 5432
        user = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? environment["PGUSER"] ?? StoreLocation.currentUser
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? (environment["PGDATABASE"] ?? user) : (path.removingPercentEncoding ?? path)
        urlPassword = components.password?.removingPercentEncoding
        sslMode = environment["PGSSLMODE"] ?? "prefer"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode": sslMode = item.value ?? ""
            case "user": user = item.value ?? user
            case "port":
                guard let value = item.value.flatMap({ Int($0) }) else { throw Invalid(description: "the URL's port must be a number") }
                port = value
            case "host": host = item.value ?? host
            default: throw Invalid(description: "--state: unknown URL parameter `\(item.name)` (known: sslmode, user, host, port)")
            }
        }
        guard StoreLocation.sslModes.contains(sslMode) else {
            throw Invalid(description: "--state: sslmode must be one of \(StoreLocation.sslModes.sorted().joined(separator: ", ")), not `\(sslMode)`")
        }
        guard (1...65535).contains(port) else { throw Invalid(description: "--state: port \(port) is out of range") }
    }

    /// The URL without its password, for messages.
    public var description: String { "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// A URL as typed, with any password masked, for error messages.
    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "••••"
        return components.string ?? text
    }

    static var currentUser: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return ProcessInfo.processInfo.environment["USER"] ?? "postgres" }
        return String(cString: name)
    }

    /// The password as libpq finds it: the URL's, else PGPASSWORD, else the first matching ~/.pgpass line
    /// (PGPASSFILE moves the file; a file readable by others is ignored, as libpq does).
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment, home: String = NSHomeDirectory()) -> String? {
        if let urlPassword { return urlPassword }
        if let value = environment["PGPASSWORD"] { return value }
        let path = environment["PGPASSFILE"] ?? home + "/.pgpass"
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 == 0, info.st_size < 1 << 20, let data = FileManager.default.contents(atPath: path)
        else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = StoreLocation.pgpassFields(String(line))
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits a ~/.pgpass line on unescaped colons; `\:` and `\\` stand for `:` and `\`.
    static func pgpassFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// postgres-nio's settings for this location (TLS per sslmode).
    func configuration(password: String?) throws(Invalid) -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable":
            tls = .disable
        default:
            var settings = TLSConfiguration.makeClientConfiguration()
            if sslMode != "verify-full" && sslMode != "verify-ca" { settings.certificateVerification = .none }
            if sslMode == "verify-ca" { settings.certificateVerification = .noHostnameVerification }
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: settings)
            } catch {
                throw Invalid(description: "cannot set up TLS for \(description): \(error)")
            }
            tls = sslMode == "allow" || sslMode == "prefer" ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        if host.first?.isNumber == true || host.contains(":") { configuration.options.tlsServerName = nil }
        return configuration
    }
}
